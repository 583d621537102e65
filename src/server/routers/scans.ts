import { listScans, listScansInput, listScansPageJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

export const scansRouter = router({
  list: authedProcedure
    .input(listScansInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listScans(ctx.db, { ...input, userId: ctx.userId }).then(writtenBy(listScansPageJson))),
});
