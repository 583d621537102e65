import { TRPCError } from '@trpc/server';
import { listAlerts, listAlertsInput, markAlertRead, markAlertReadInput } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

export const alertsRouter = router({
  // prefault({}): a call without input is the first page at the default limit, as the generated schema defines it.
  list: authedProcedure
    .input(listAlertsInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listAlerts(ctx.db, { ...input, userId: ctx.userId })),

  markRead: authedProcedure.input(markAlertReadInput.omit({ userId: true })).mutation(async ({ ctx, input }) => {
    // The statement is filtered by the caller's userId, so another user's alert is simply not found: the answer
    // is the same as for an id that does not exist, and tells nothing about other users. An alert that is
    // already read also changes 0 rows (the query only touches unread ones), hence the wording.
    const changed = await markAlertRead(ctx.db, { alertId: input.alertId, userId: ctx.userId });
    if (changed === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no unread alert ${input.alertId}` });
    return { alertId: input.alertId, read: true as const };
  }),
});
