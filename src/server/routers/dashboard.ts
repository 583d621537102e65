import { getDashboard } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

export const dashboardRouter = router({
  // One statement: counters, recent alerts with their exposure and broker, and the latest scan come as includes.
  get: authedProcedure.query(({ ctx }) => getDashboard(ctx.db, { userId: ctx.userId })),
});
