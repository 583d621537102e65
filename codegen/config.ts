// Stage 0: the project's configuration. One file, `sqlbound.config.json`, validated with zod (an error names the
// key); every path in it is relative to the file's own folder. Without a file, the defaults describe the layout
// `npx sqlbound codegen` expects in a fresh project: sql/queries/*.sql, migrations in sql/schema/, output in
// generated/, the runtime imported as `sqlbound`.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './stages/parse.js';

/**
 * The config file's name: loadConfig looks for it in the folder it is given, and the CLI in its working
 * directory (or the one `--config` names).
 *
 * @example
 * ```ts
 * import { join } from 'node:path';
 * import { CONFIG_FILE, loadConfig } from '@sqlbound/cli/codegen';
 *
 * const config = await loadConfig(join(process.cwd(), CONFIG_FILE)); // a ConfigError if it does not exist
 * ```
 */
export const CONFIG_FILE = 'sqlbound.config.json';

const budgetSchema = z.string().refine((text) => (parseDuration(text) ?? 0) > 0, 'a duration such as "50ms" or "1s"');

const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Globs of query files, relative to the config file. */
  queries: z
    .array(z.string().min(1))
    .min(1, 'an empty list selects no query file: list your .sql files, folders or globs, e.g. ["sql/queries/*.sql"]')
    .default(['sql/queries/*.sql']),
  /**
   * Where the schema comes from: migrations applied to a scratch database (embedded PostgreSQL, or a fresh
   * database on the server of DATABASE_URL), or an existing database introspected as it is.
   */
  schema: z
    .discriminatedUnion('from', [
      z.strictObject({
        from: z.literal('migrations'),
        /** Folder of numbered .sql files, applied in name order by Kysely's Migrator. */
        dir: z.string().min(1).default('sql/schema'),
      }),
      z.strictObject({
        from: z.literal('database'),
        /** Name of the environment variable that holds the URL. Default DATABASE_URL. */
        urlEnv: z.string().min(1).default('DATABASE_URL'),
      }),
    ])
    .optional(),
  /** Folder the generated modules are written to. */
  out: z.string().min(1).default('generated'),
  /** Import specifier of the runtime in generated code. */
  runtime: z.string().min(1).default('sqlbound'),
  /** Schemas whose tables and views are typed in the Kysely `DB` interface (`db.ts`). */
  schemas: z.array(z.string().min(1)).min(1).default(['public']),
  /**
   * The search_path the application's connections use (set on their role or in the URL), when it is not the
   * database's default. Unqualified names in queries resolve with it, and a table of a schema on it is named
   * bare in `db.ts` (`schema.table` otherwise), so codegen sees names as the application will.
   */
  searchPath: z.array(z.string().min(1)).min(1).optional(),
  /** Type overrides by PostgreSQL type name. */
  types: z
    .strictObject({
      int8: z.enum(['string', 'bigint', 'number']).default('string'),
      /** A TypeScript type per domain (`"public.email": "Email"`), imported from `import` when given. */
      domains: z.record(z.string(), z.strictObject({ type: z.string().min(1), import: z.string().min(1).optional() })).default({}),
    })
    .prefault({}),
  /**
   * What the nullability analysis may trust. `trustNotNullDomains`: a column is non-null when its type is a NOT
   * NULL domain. Off by default: PostgreSQL stores NULL in such a column when it is written from an empty scalar
   * subquery or an outer-joined value (CREATE DOMAIN's notes); turn it on only if no write does that.
   */
  nullability: z.strictObject({ trustNotNullDomains: z.boolean().default(false) }).prefault({}),
  /**
   * Owner isolation: who owns a row. Every statement that touches a table holding an owned column must be proven
   * confined to the owner param's rows, or say `-- owner: any -- <reason>`. `table` is the owner itself (its rows are
   * owned by their `id`). `also` names further owned columns, each confined by its own param (a tenant beside the
   * user): a table holding several must be confined on each. Without this key: the `cache` key's scoping, else
   * param userId, column user_id, table users.
   */
  owner: z
    .strictObject({
      param: z.string().min(1).default('userId'),
      column: z.string().min(1).default('user_id'),
      table: z.string().min(1).default('users'),
      also: z.array(z.strictObject({ param: z.string().min(1), column: z.string().min(1), table: z.string().min(1) })).default([]),
    })
    .optional(),
  /** How cache invalidation is scoped: the param that names the owner, and the column that holds it. Without this key: the owner key's. */
  cache: z
    .strictObject({
      scopeParam: z.string().min(1).default('userId'),
      scopeColumn: z.string().min(1).default('user_id'),
      /** The table whose primary key is the owner itself (its rows are scoped by `id`). */
      ownerTable: z.string().min(1).default('users'),
    })
    .optional(),
  /** `sqlbound audit`: how to sample params from the data, budgets, and the schema rules' columns. */
  audit: z
    .strictObject({
      /** Budgets by query name ("50ms"); they replace the queries' own `-- budget:` lines. */
      budgets: z.record(z.string(), budgetSchema).default({}),
      /** SQL returning owner ids (column `id`) to audit with, `$1` = how many: typical owners, and the heaviest. */
      owners: z.strictObject({ typical: z.string().min(1), heavy: z.string().min(1) }).optional(),
      /** Params whose value is one of the owner's rows: SQL returning one `id`, `$1` = the owner. */
      samples: z.record(z.string(), z.string().min(1)).default({}),
      /** Fixed values by param name, for params no type default fits (an enum label to prefer, a status...). */
      values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      /** The column per-owner lists are ordered by, for the schema audit's index rule. */
      timeColumn: z.string().min(1).default('created_at'),
    })
    .prefault({}),
});

/**
 * What a `sqlbound.config.json` may hold, before defaults: every key is optional. Type a config written from code
 * with it.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import type { ConfigInput } from '@sqlbound/cli/codegen';
 *
 * const input: ConfigInput = {
 *   queries: ['db/queries/*.sql'],
 *   schema: { from: 'migrations', dir: 'db/migrations' },
 *   out: 'src/generated',
 *   types: { int8: 'bigint' },
 * };
 * await writeFile('sqlbound.config.json', JSON.stringify(input, null, 2));
 * ```
 */
export type ConfigInput = z.input<typeof configSchema>;
/**
 * A validated config with every default filled in, and where it came from. Its paths are as written, relative
 * to `root`: resolve them with resolvePath.
 *
 * @example
 * ```ts
 * import { loadConfig, type Config } from '@sqlbound/cli/codegen';
 *
 * const config: Config = await loadConfig('.');
 * config.runtime; // 'sqlbound' unless the file says otherwise
 * config.types.int8; // 'string'
 * ```
 */
export type Config = z.output<typeof configSchema> & {
  /** Folder every relative path resolves from: the config file's, or the working directory without a file. */
  root: string;
  /** The config file read, or null for the defaults. */
  file: string | null;
};

/**
 * A config that does not validate: the message names each key at fault. Also thrown for a named file that does
 * not exist or is not JSON.
 *
 * @example
 * ```ts
 * import { ConfigError, parseConfig } from '@sqlbound/cli/codegen';
 *
 * try {
 *   parseConfig({ out: '' }, 'sqlbound.config.json', process.cwd());
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.message); // sqlbound.config.json is not a valid sqlbound config:\n  out: ...
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `  ${key}: ${issue.message}`;
  });
  return `${file} is not a valid sqlbound config:\n${lines.join('\n')}`;
}

/**
 * Validates a config object (as read from JSON) against the schema; `file` names it in errors and `root` is the
 * folder its paths resolve from. For configs that do not live in a file.
 *
 * @example
 * ```ts
 * import { parseConfig } from '@sqlbound/cli/codegen';
 *
 * const config = parseConfig({ queries: ['queries/*.sql'] }, '(inline)', '/srv/app');
 * config.out; // 'generated'
 * ```
 */
export function parseConfig(value: unknown, file: string, root: string): Config {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(describeIssues(file, parsed.error));
  return { ...parsed.data, root, file };
}

/**
 * Reads `sqlbound.config.json` from `path` (a file, or a folder that holds one), or returns the defaults rooted at
 * that folder when there is none. A file named explicitly must exist.
 *
 * @example
 * ```ts
 * import { loadConfig, resolvePath } from '@sqlbound/cli/codegen';
 *
 * const config = await loadConfig(process.cwd());
 * config.out; // 'generated'
 * resolvePath(config, config.out); // absolute, from the config file's folder
 * ```
 */
export async function loadConfig(path: string): Promise<Config> {
  const absolute = resolve(path);
  const file = absolute.endsWith('.json') ? absolute : resolve(absolute, CONFIG_FILE);
  if (!existsSync(file)) {
    if (absolute.endsWith('.json')) throw new ConfigError(`${file} does not exist`);
    return parseConfig({}, '(defaults)', absolute);
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseConfig(value, file, dirname(file));
}

/**
 * A path of the config, absolute, resolved from the config file's folder, so a config means the same wherever
 * the CLI runs from.
 *
 * @example
 * ```ts
 * import { loadConfig, resolvePath } from '@sqlbound/cli/codegen';
 *
 * const config = await loadConfig('/srv/app');
 * resolvePath(config, config.out); // '/srv/app/generated'
 * ```
 */
export function resolvePath(config: Pick<Config, 'root'>, path: string): string {
  return isAbsolute(path) ? path : resolve(config.root, path);
}

/** How to get the schema: explicit in the config, else migrations when the default folder exists, else DATABASE_URL. */
export function schemaSource(config: Config): { from: 'migrations'; dir: string } | { from: 'database'; urlEnv: string } {
  if (config.schema !== undefined) return config.schema;
  if (existsSync(resolvePath(config, 'sql/schema'))) return { from: 'migrations', dir: 'sql/schema' };
  return { from: 'database', urlEnv: 'DATABASE_URL' };
}

/** The owned columns isolation enforces, the first the owner's own (see the `owner` key). */
export function ownedColumns(config: Pick<Config, 'owner' | 'cache'>): { param: string; column: string; table: string }[] {
  if (config.owner !== undefined) {
    return [{ param: config.owner.param, column: config.owner.column, table: config.owner.table }, ...config.owner.also];
  }
  const cache = config.cache;
  return [
    cache === undefined
      ? { param: 'userId', column: 'user_id', table: 'users' }
      : { param: cache.scopeParam, column: cache.scopeColumn, table: cache.ownerTable },
  ];
}

/** How the cache scopes entries per owner: the `cache` key, else the owner's own column. */
export function cacheScoping(config: Pick<Config, 'owner' | 'cache'>): { param: string; column: string; ownerTable: string } {
  if (config.cache !== undefined)
    return { param: config.cache.scopeParam, column: config.cache.scopeColumn, ownerTable: config.cache.ownerTable };
  const [owner] = ownedColumns(config);
  return { param: owner?.param ?? 'userId', column: owner?.column ?? 'user_id', ownerTable: owner?.table ?? 'users' };
}

/** The config's audit rules in the form the plan audit takes them. */
export function auditRules(config: Config): {
  rules: {
    scopeParam: string;
    owners: { typical: string; heavy: string } | null;
    owned: Record<string, string>;
    values: Record<string, string | number | boolean>;
  };
  budgets: Record<string, number>;
  schema: { schema: string; scopeColumn: string; timeColumn: string };
  schemas: string[];
} {
  return {
    rules: {
      scopeParam: cacheScoping(config).param,
      owners: config.audit.owners ?? null,
      owned: config.audit.samples,
      values: config.audit.values,
    },
    budgets: Object.fromEntries(Object.entries(config.audit.budgets).map(([name, text]) => [name, parseDuration(text) ?? 0])),
    schema: { schema: config.schemas[0] ?? 'public', scopeColumn: cacheScoping(config).column, timeColumn: config.audit.timeColumn },
    schemas: config.schemas,
  };
}
