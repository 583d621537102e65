import { listScans, listScansInput, listScansPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(listScansPageJson);

export const scansRouter = router({
  list: authedProcedure
    .input(listScansInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listScans(ctx.db, { ...input, userId: ctx.userId }).then(withWriter)),
});
