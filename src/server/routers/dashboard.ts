import { getDashboard, getDashboardInput, getDashboardJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(getDashboardJson);

export const dashboardRouter = router({
  // One statement: counters, recent alerts with their exposure and broker, and the latest scan come as includes.
  // The input is the generated strict object without the owner: nothing or `{}`; any key (a `userId` too) is a 400.
  get: authedProcedure
    .input(getDashboardInput.omit({ userId: true }).optional())
    .query(({ ctx }) => getDashboard(ctx.db, { userId: ctx.userId }).then(withWriter)),
});
