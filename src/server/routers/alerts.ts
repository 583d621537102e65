import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { listAlerts, listAlertsInput, listAlertsPageJson, markAlertRead, markAlertReadInput } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(listAlertsPageJson);

// Alert ids are positive, so the API narrows the generated int8 schema to them, in their one canonical
// spelling: "07", "+7", " 7" and "7.0" are a 400, never read as 7 and echoed back as "7".
const ID_MESSAGE = 'alertId must be an id as a decimal string: digits without leading zeros, sign or spaces';
const markReadInput = markAlertReadInput.omit({ userId: true }).extend({
  alertId: z
    .string({ error: ID_MESSAGE })
    .regex(/^[1-9]\d{0,18}$/, { error: ID_MESSAGE, abort: true })
    .pipe(markAlertReadInput.shape.alertId),
});

export const alertsRouter = router({
  // prefault({}): a call without input is the first page at the default limit, as the generated schema defines it.
  list: authedProcedure
    .input(listAlertsInput.omit({ userId: true }).prefault({}))
    .query(({ ctx, input }) => listAlerts(ctx.db, { ...input, userId: ctx.userId }).then(withWriter)),

  markRead: authedProcedure.input(markReadInput).mutation(async ({ ctx, input }) => {
    // The statement is filtered by the caller's userId, so another user's alert is simply not found: the answer
    // is the same as for an id that does not exist, and tells nothing about other users. An alert that is
    // already read also changes 0 rows (the query only touches unread ones), hence the wording.
    const changed = await markAlertRead(ctx.db, { alertId: input.alertId, userId: ctx.userId });
    if (changed === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no unread alert ${input.alertId}` });
    return { alertId: input.alertId, read: true as const };
  }),
});
