import { listBrokers, listBrokersInput } from '../../../generated/index.js';
import { publicProcedure, router } from '../trpc.js';

export const brokersRouter = router({
  // Public: the broker directory holds no user data.
  list: publicProcedure.input(listBrokersInput.prefault({})).query(({ ctx, input }) => listBrokers(ctx.db, input)),
});
