import { listExposures, listExposuresInput, listExposuresPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(listExposuresPageJson);

export const exposuresRouter = router({
  // Each exposure comes with its broker and latest alerts as includes of the same statement (no N+1).
  list: authedProcedure
    .input(listExposuresInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listExposures(ctx.db, { ...input, userId: ctx.userId }).then(withWriter)),
});
