import { getSubscriptionStatus } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

export const subscriptionRouter = router({
  // null: the user has no subscription row (free tier without billing), which is not an error.
  status: authedProcedure.query(({ ctx }) => getSubscriptionStatus(ctx.db, { userId: ctx.userId })),
});
