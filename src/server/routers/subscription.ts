import { getSubscriptionStatus, getSubscriptionStatusInput, getSubscriptionStatusJson } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(getSubscriptionStatusJson);

export const subscriptionRouter = router({
  // null: the user has no subscription row (free tier without billing), which is not an error.
  // Input: nothing or `{}`; an unknown key is a 400, as on every procedure.
  status: authedProcedure
    .input(getSubscriptionStatusInput.omit({ userId: true }).optional())
    .query(({ ctx }) => getSubscriptionStatus(ctx.db, { userId: ctx.userId }).then(withWriter)),
});
