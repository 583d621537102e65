// A typed front end for the example API, as a new user writes one: the official tRPC client over the router's
// *type* only (no server code is imported at run time), paging through every alert of the token's user the way
// TanStack Query's useInfiniteQuery does with `getNextPageParam: (page) => page.nextCursor`.
//
// What the compiler holds here: `limit` is 1..100 (101, 0, 2.5 or a plain number do not compile), `cursor` is
// only a nextCursor that alerts.list itself returned (a string, or exposures.list's cursor, does not compile),
// filters are the procedure's own, and timestamps are typed as the ISO strings JSON delivers.
//
// Run it against `npm start`:
//   TOKEN=$(npm run --silent token -- 1) npx tsx examples/alerts-client.ts [severity]
import { pathToFileURL } from 'node:url';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../src/server/routers/index.js';

export type AlertsPage = inferRouterOutputs<AppRouter>['alerts']['list'];
export type Alert = AlertsPage['items'][number];
type AlertsInput = Extract<inferRouterInputs<AppRouter>['alerts']['list'], object>;
/** alerts.list's filters: everything its input takes but the page position and size. */
export type AlertFilters = Omit<AlertsInput, 'cursor' | 'limit'>;
/** The SDK's Limit, 1..100, as the client sees it: no need to import the server's packages. */
export type PageSize = NonNullable<AlertsInput['limit']>;

export function apiClient(url: string, token: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url}/trpc`,
        headers: { authorization: `Bearer ${token}` },
        // The server's batch limit (docs/api.md, Batches).
        maxItems: 20,
        maxURLLength: 8000,
      }),
    ],
  });
}

/** The part of useInfiniteQuery's options that decides which pages are fetched. */
export type InfiniteQueryOptions<Page, PageParam> = {
  initialPageParam: PageParam;
  queryFn: (context: { pageParam: PageParam }) => Promise<Page>;
  /** null or undefined: there is no next page (hasNextPage is false). */
  getNextPageParam: (lastPage: Page) => PageParam | null | undefined;
};

/**
 * Each page as useInfiniteQuery fetches it, one fetchNextPage() after another until getNextPageParam has none.
 * In a React app the same options go to `useInfiniteQuery` (docs/api.md shows both).
 */
export async function* infinitePages<Page, PageParam>(options: InfiniteQueryOptions<Page, PageParam>): AsyncGenerator<Page> {
  let pageParam = options.initialPageParam;
  for (;;) {
    const page = await options.queryFn({ pageParam });
    yield page;
    const next = options.getNextPageParam(page);
    if (next === null || next === undefined) return;
    pageParam = next;
  }
}

/** Every alert of the token's user matching the filters, newest first, `pageSize` (100 by default) per request. */
export async function allAlerts(
  client: TRPCClient<AppRouter>,
  filters: AlertFilters = {},
  pageSize: PageSize = 100,
): Promise<{ alerts: Alert[]; pages: number }> {
  const alerts: Alert[] = [];
  let pages = 0;
  const options: InfiniteQueryOptions<AlertsPage, AlertsPage['nextCursor']> = {
    initialPageParam: null,
    queryFn: ({ pageParam }) => client.alerts.list.query({ ...filters, limit: pageSize, cursor: pageParam }),
    getNextPageParam: (page) => page.nextCursor,
  };
  for await (const page of infinitePages(options)) {
    alerts.push(...page.items);
    pages += 1;
  }
  return { alerts, pages };
}

async function main(): Promise<void> {
  const token = process.env.TOKEN;
  if (token === undefined || token === '') throw new Error('set TOKEN: TOKEN=$(npm run --silent token -- 1)');
  const severity = process.argv[2];
  const known = ['info', 'low', 'medium', 'high', 'critical'] as const;
  const filter = known.find((level) => level === severity);
  if (severity !== undefined && filter === undefined) throw new Error(`severity must be one of ${known.join(', ')}`);
  const client = apiClient(process.env.API_URL ?? 'http://127.0.0.1:3000', token);
  const { alerts, pages } = await allAlerts(client, filter === undefined ? {} : { severity: filter });
  const unread = alerts.filter((alert) => alert.read_at === null).length;
  console.log(
    `${alerts.length} alerts (${unread} unread) in ${pages} ${pages === 1 ? 'page' : 'pages'}; newest ${alerts[0]?.created_at ?? 'none'}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main().catch((error: unknown) => {
    console.error(`alerts-client: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
