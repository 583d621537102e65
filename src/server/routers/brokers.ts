import { listBrokers, listBrokersInput, listBrokersPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { publicProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(listBrokersPageJson);

export const brokersRouter = router({
  // Public: the broker directory holds no user data.
  list: publicProcedure.input(listBrokersInput.prefault({})).query(({ ctx, input }) => listBrokers(ctx.db, input).then(withWriter)),
});
