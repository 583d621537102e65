// Type guarantees of the generated API, both ways: what must compile and what must not.
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd';
import type { Queryable } from '../src/runtime/contract.js';
import type { Cursor, Limit, Page } from '../src/runtime/pagination.js';
import type { z } from 'zod';
import {
  getDashboard,
  getProfile,
  getSubscriptionStatus,
  listAlerts,
  listAlertsInput,
  listExposures,
  listExposuresInput,
  markAlertRead,
  markAlertReadInput,
  type ListAlertsParams,
  type ListExposuresParams,
  type MarkAlertReadParams,
  type GetDashboardRow,
  type ListAlertsRow,
  type GetSubscriptionStatusRow,
  type GetDashboardRecentAlertsExposure,
  type GetDashboardLatestScan,
  type ListExposuresRow,
  type ListExposuresLatestAlerts,
} from '../generated/index.js';

declare const db: Queryable;
declare const someNumber: number;
declare const alertsCursor: Cursor<'listAlerts'>;
declare const exposuresCursor: Cursor<'listExposures'>;

// limit: 1, 50 and 100 compile; 0, 101, 2.5, -1 and a plain number do not.
expectType<Promise<Page<ListAlertsRow, 'listAlerts'>>>(listAlerts(db, { userId: '1', limit: 1, cursor: null }));
listAlerts(db, { userId: '1', limit: 50, cursor: null });
listAlerts(db, { userId: '1', limit: 100, cursor: null });
expectError(listAlerts(db, { userId: '1', limit: 0, cursor: null }));
expectError(listAlerts(db, { userId: '1', limit: 101, cursor: null }));
expectError(listAlerts(db, { userId: '1', limit: 2.5, cursor: null }));
expectError(listAlerts(db, { userId: '1', limit: -1, cursor: null }));
expectError(listAlerts(db, { userId: '1', limit: someNumber, cursor: null }));
expectNotAssignable<Limit>(someNumber);
expectAssignable<Limit>(100 as const);

// cursor is required (null for the first page) and branded per query.
expectError(listAlerts(db, { userId: '1', limit: 10 }));
expectError(listAlerts(db, { userId: '1', limit: 10, cursor: exposuresCursor }));
expectError(listAlerts(db, { userId: '1', limit: 10, cursor: 'forged' }));
listAlerts(db, { userId: '1', limit: 10, cursor: alertsCursor });
listExposures(db, { userId: '1', limit: 10, cursor: exposuresCursor });
expectError(listExposures(db, { userId: '1', limit: 10, cursor: alertsCursor }));

// The cursor a query returned feeds the same query.
async function walk() {
  const page = await listAlerts(db, { userId: '1', limit: 10, cursor: null });
  expectType<Cursor<'listAlerts'> | null>(page.nextCursor);
  if (page.nextCursor) await listAlerts(db, { userId: '1', limit: 10, cursor: page.nextCursor });
  expectError(listExposures(db, { userId: '1', limit: 10, cursor: page.nextCursor }));
}
void walk;

// Params: required ones must be present and of the right type; optional ones may be null or left out.
expectError(getProfile(db, {}));
expectError(getProfile(db, { userId: 1 }));
expectError(markAlertRead(db, { userId: '1' }));
listAlerts(db, { userId: '1', severity: null, unreadOnly: null, limit: 10, cursor: null });
listAlerts(db, { userId: '1', severity: 'high', limit: 10, cursor: null });
expectError(listAlerts(db, { userId: '1', severity: 'urgent', limit: 10, cursor: null }));
expectError(listAlerts(db, { userId: '1', unknownField: true, limit: 10, cursor: null }));

// Kinds: :one returns the row, :maybe the row or null, :exec the affected count.
expectType<Promise<GetDashboardRow>>(getDashboard(db, { userId: '1' }));
expectType<Promise<GetSubscriptionStatusRow | null>>(getSubscriptionStatus(db, { userId: '1' }));
expectType<Promise<number>>(markAlertRead(db, { userId: '1', alertId: '2' }));

// Rows are exact: T | null exactly where nullable.
declare const alert: ListAlertsRow;
expectType<string>(alert.id);
expectType<string | null>(alert.exposure_id);
expectType<Date>(alert.created_at);
expectType<Date | null>(alert.read_at);
expectType<'info' | 'low' | 'medium' | 'high' | 'critical'>(alert.severity);
declare const dashboard: GetDashboardRow;
expectType<number>(dashboard.unread_alerts);
expectType<'trialing' | 'active' | 'past_due' | 'canceled' | null>(dashboard.subscription_status);
expectType<string | null>(dashboard.phone);
expectType<Date>(dashboard.recentAlerts[0]!.created_at);
expectType<string | null>(dashboard.recentAlerts[0]!.exposure_id);
// An alert's exposure may be missing (nullable foreign key); an exposure's broker may not (NOT NULL foreign key).
expectType<GetDashboardRecentAlertsExposure | null>(dashboard.recentAlerts[0]!.exposure);
expectType<string>(dashboard.recentAlerts[0]!.exposure!.broker.name);
expectType<GetDashboardLatestScan | null>(dashboard.latestScan);
expectNotAssignable<GetDashboardLatestScan>(dashboard.latestScan);
declare const exposure: ListExposuresRow;
expectType<ListExposuresLatestAlerts[]>(exposure.latestAlerts);
expectType<string>(exposure.broker.name);

// The zod input schema's output feeds the function without casts.
const input = listAlertsInput.parse({ userId: '1' });
expectType<Limit>(input.limit);
listAlerts(db, input);

// The generated input schemas read what the functions take: a typed HTTP client (tRPC's) sends the SDK's
// types, limit and cursor included (both optional there: 50 and the first page by default).
expectAssignable<z.input<typeof listAlertsInput>>({} as ListAlertsParams);
expectType<ListAlertsParams['limit'] | undefined>(({} as z.input<typeof listAlertsInput>).limit);
expectType<ListAlertsParams['cursor'] | undefined>(({} as z.input<typeof listAlertsInput>).cursor);
expectType<ListAlertsParams['severity']>(({} as z.input<typeof listAlertsInput>).severity);
expectAssignable<ListAlertsParams>(input);
expectType<ListExposuresParams['cursor'] | undefined>(({} as z.input<typeof listExposuresInput>).cursor);
expectType<MarkAlertReadParams>({} as z.input<typeof markAlertReadInput>);
