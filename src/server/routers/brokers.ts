import { listBrokers, listBrokersInput, listBrokersPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { publicProcedure, router } from '../trpc.js';

export const brokersRouter = router({
  // Public: the broker directory holds no user data.
  list: publicProcedure
    .input(listBrokersInput.prefault({}))
    .query(({ ctx, input }) => listBrokers(ctx.db, input).then(writtenBy(listBrokersPageJson))),
});
