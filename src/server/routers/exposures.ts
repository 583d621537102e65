import { listExposures, listExposuresInput, listExposuresPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

export const exposuresRouter = router({
  // Each exposure comes with its broker and latest alerts as includes of the same statement (no N+1).
  list: authedProcedure
    .input(listExposuresInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listExposures(ctx.db, { ...input, userId: ctx.userId }).then(writtenBy(listExposuresPageJson))),
});
