import { listScans, listScansInput } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

export const scansRouter = router({
  list: authedProcedure
    .input(listScansInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listScans(ctx.db, { ...input, userId: ctx.userId })),
});
