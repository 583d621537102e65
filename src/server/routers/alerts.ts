import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { listAlerts, listAlertsInput, markAlertRead, markAlertReadInput } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

// The runtime's int8Input runs its range refinement even when its regex failed, and BigInt('abc') then throws
// a SyntaxError instead of a validation issue. Checking the shape first keeps the message a validation message.
const markReadInput = markAlertReadInput.omit({ userId: true }).extend({
  alertId: z
    .string({ error: 'alertId must be an id as a decimal string' })
    .regex(/^\d{1,19}$/, 'alertId must be an id as a decimal string')
    .pipe(markAlertReadInput.shape.alertId),
});

export const alertsRouter = router({
  // prefault({}): a call without input is the first page at the default limit, as the generated schema defines it.
  list: authedProcedure
    .input(listAlertsInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listAlerts(ctx.db, { ...input, userId: ctx.userId })),

  markRead: authedProcedure.input(markReadInput).mutation(async ({ ctx, input }) => {
    // The statement is filtered by the caller's userId, so another user's alert is simply not found: the answer
    // is the same as for an id that does not exist, and tells nothing about other users. An alert that is
    // already read also changes 0 rows (the query only touches unread ones), hence the wording.
    const changed = await markAlertRead(ctx.db, { alertId: input.alertId, userId: ctx.userId });
    if (changed === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no unread alert ${input.alertId}` });
    return { alertId: input.alertId, read: true as const };
  }),
});
