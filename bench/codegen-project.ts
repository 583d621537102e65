// A project outside this repo for timing codegen (issue 24): a task tracker of 11 tables with foreign keys, enums,
// NOT NULL columns and timestamps, and 200 named queries over 10 files, a third of them with 1 to 3 includes.
// Every query passes codegen's checks (one-row proofs, keyset orders, the plan check on the empty schema), so the
// time measured is the time of a clean run.
//   npx tsx bench/codegen-project.ts [folder]   (default: a new temporary folder; prints the folder)
// The project is plain files (sqlbound.config.json, sql/schema, sql/queries): nothing here imports codegen, so the
// same project can be generated against any version of it.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Column = {
  name: string;
  /** The column's SQL type and constraints, as written in CREATE TABLE. */
  sql: string;
  notNull: boolean;
  /** A column a query may SET, filter on or show: text and enum columns. */
  kind: 'text' | 'enum' | 'other';
  /** For an enum column, the type name (its param is cast to it when optional). */
  enumType?: string;
  /** Written by INSERT (NOT NULL without a default). */
  required: boolean;
};

type Parent = { column: string; table: string; nullable: boolean };

type Table = {
  name: string;
  /** Singular, PascalCase: names its queries (getTask, listTasks...). */
  entity: string;
  plural: string;
  alias: string;
  columns: Column[];
  /** Foreign keys to tables of the project other than users (user_id is every table's owner key). */
  parents: Parent[];
  /** A column shown when another table's query includes or joins this one. */
  label: string;
};

const col = (name: string, sql: string, options: { kind?: Column['kind']; enumType?: string } = {}): Column => {
  const notNull = sql.includes('NOT NULL');
  return {
    name,
    sql,
    notNull,
    kind: options.kind ?? (sql.startsWith('text') ? 'text' : 'other'),
    ...(options.enumType === undefined ? {} : { enumType: options.enumType }),
    required: notNull && !sql.includes('DEFAULT'),
  };
};
const enumCol = (name: string, type: string, fallback: string): Column =>
  col(name, `${type} NOT NULL DEFAULT '${fallback}'`, { kind: 'enum', enumType: type });
const ref = (table: string, nullable: boolean) =>
  `bigint${nullable ? '' : ' NOT NULL'} REFERENCES ${table} (id) ON DELETE ${nullable ? 'SET NULL' : 'CASCADE'}`;

const ENUMS: Record<string, string[]> = {
  project_status: ['active', 'paused', 'archived'],
  task_status: ['todo', 'doing', 'done', 'canceled'],
  task_priority: ['low', 'normal', 'high', 'urgent'],
  notification_kind: ['mention', 'assigned', 'due_soon', 'comment'],
  invoice_status: ['draft', 'sent', 'paid', 'void'],
};

const TABLES: Table[] = [
  {
    name: 'projects',
    entity: 'Project',
    plural: 'Projects',
    alias: 'p',
    label: 'name',
    parents: [],
    columns: [
      col('name', 'text NOT NULL'),
      col('description', 'text'),
      enumCol('status', 'project_status', 'active'),
      col('archived_at', 'timestamptz'),
      col('updated_at', 'timestamptz NOT NULL DEFAULT now()'),
    ],
  },
  {
    name: 'milestones',
    entity: 'Milestone',
    plural: 'Milestones',
    alias: 'm',
    label: 'title',
    parents: [{ column: 'project_id', table: 'projects', nullable: false }],
    columns: [
      col('project_id', ref('projects', false)),
      col('title', 'text NOT NULL'),
      col('due_on', 'date'),
      enumCol('state', 'task_status', 'todo'),
    ],
  },
  {
    name: 'labels',
    entity: 'Label',
    plural: 'Labels',
    alias: 'l',
    label: 'name',
    parents: [{ column: 'project_id', table: 'projects', nullable: false }],
    columns: [col('project_id', ref('projects', false)), col('name', 'text NOT NULL'), col('color', "text NOT NULL DEFAULT 'gray'")],
  },
  {
    name: 'tasks',
    entity: 'Task',
    plural: 'Tasks',
    alias: 't',
    label: 'title',
    parents: [
      { column: 'project_id', table: 'projects', nullable: false },
      { column: 'milestone_id', table: 'milestones', nullable: true },
    ],
    columns: [
      col('project_id', ref('projects', false)),
      col('milestone_id', ref('milestones', true)),
      col('assignee_id', 'bigint REFERENCES users (id) ON DELETE SET NULL'),
      col('title', 'text NOT NULL'),
      col('body', 'text'),
      enumCol('status', 'task_status', 'todo'),
      enumCol('priority', 'task_priority', 'normal'),
      col('due_at', 'timestamptz'),
      col('completed_at', 'timestamptz'),
      col('estimate_minutes', 'integer CHECK (estimate_minutes > 0)'),
    ],
  },
  {
    name: 'comments',
    entity: 'Comment',
    plural: 'Comments',
    alias: 'c',
    label: 'body',
    parents: [{ column: 'task_id', table: 'tasks', nullable: false }],
    columns: [
      col('task_id', ref('tasks', false)),
      col('author_id', 'bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE'),
      col('body', 'text NOT NULL'),
      col('edited_at', 'timestamptz'),
    ],
  },
  {
    name: 'attachments',
    entity: 'Attachment',
    plural: 'Attachments',
    alias: 'a',
    label: 'file_name',
    parents: [
      { column: 'task_id', table: 'tasks', nullable: false },
      { column: 'comment_id', table: 'comments', nullable: true },
    ],
    columns: [
      col('task_id', ref('tasks', false)),
      col('comment_id', ref('comments', true)),
      col('file_name', 'text NOT NULL'),
      col('content_type', 'text NOT NULL'),
      col('byte_size', 'bigint NOT NULL CHECK (byte_size >= 0)'),
    ],
  },
  {
    name: 'time_entries',
    entity: 'TimeEntry',
    plural: 'TimeEntries',
    alias: 'te',
    label: 'note',
    parents: [{ column: 'task_id', table: 'tasks', nullable: false }],
    columns: [
      col('task_id', ref('tasks', false)),
      col('minutes', 'integer NOT NULL CHECK (minutes > 0)'),
      col('started_at', 'timestamptz NOT NULL'),
      col('note', 'text'),
      col('billable', 'boolean NOT NULL DEFAULT true'),
    ],
  },
  {
    name: 'notifications',
    entity: 'Notification',
    plural: 'Notifications',
    alias: 'n',
    label: 'title',
    parents: [
      { column: 'task_id', table: 'tasks', nullable: true },
      { column: 'comment_id', table: 'comments', nullable: true },
    ],
    columns: [
      col('task_id', ref('tasks', true)),
      col('comment_id', ref('comments', true)),
      enumCol('kind', 'notification_kind', 'comment'),
      col('title', 'text NOT NULL'),
      col('read_at', 'timestamptz'),
    ],
  },
  {
    name: 'invoices',
    entity: 'Invoice',
    plural: 'Invoices',
    alias: 'i',
    label: 'number',
    parents: [{ column: 'project_id', table: 'projects', nullable: false }],
    columns: [
      col('project_id', ref('projects', false)),
      col('number', 'text NOT NULL'),
      enumCol('status', 'invoice_status', 'draft'),
      col('total_cents', 'bigint NOT NULL DEFAULT 0'),
      col('issued_on', 'date'),
      col('paid_at', 'timestamptz'),
    ],
  },
  {
    name: 'invoice_lines',
    entity: 'InvoiceLine',
    plural: 'InvoiceLines',
    alias: 'il',
    label: 'description',
    parents: [
      { column: 'invoice_id', table: 'invoices', nullable: false },
      { column: 'time_entry_id', table: 'time_entries', nullable: true },
    ],
    columns: [
      col('invoice_id', ref('invoices', false)),
      col('time_entry_id', ref('time_entries', true)),
      col('description', 'text NOT NULL'),
      col('quantity', 'numeric(10, 2) NOT NULL CHECK (quantity > 0)'),
      col('unit_cents', 'bigint NOT NULL'),
    ],
  },
];

const byName = new Map(TABLES.map((table) => [table.name, table]));
function table(name: string): Table {
  const found = byName.get(name);
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

/** Tables whose foreign key (NOT NULL or not) points at `name`, with that key's column. */
function childrenOf(name: string): { table: Table; column: string }[] {
  return TABLES.flatMap((child) => child.parents.filter((p) => p.table === name).map((p) => ({ table: child, column: p.column })));
}

function schemaSql(): string {
  const lines = [
    '-- A task tracker: users own projects; projects hold milestones, labels, tasks and invoices; tasks hold comments,',
    '-- attachments and time entries; notifications point at a task or a comment. Every table but users carries the',
    '-- owner key user_id and is listed newest first, so each has (user_id, created_at DESC, id DESC), and each',
    '-- foreign key has (key, created_at DESC, id DESC): the index behind the key and the order of its lists.',
    '',
    ...Object.entries(ENUMS).map(([name, labels]) => `CREATE TYPE ${name} AS ENUM (${labels.map((l) => `'${l}'`).join(', ')});`),
    '',
    'CREATE TABLE users (',
    '  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,',
    '  email text NOT NULL,',
    '  display_name text NOT NULL,',
    '  created_at timestamptz NOT NULL DEFAULT now()',
    ');',
    'CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));',
  ];
  for (const t of TABLES) {
    lines.push(
      '',
      `CREATE TABLE ${t.name} (`,
      '  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,',
      '  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,',
      ...t.columns.map((c) => `  ${c.name} ${c.sql},`),
      '  created_at timestamptz NOT NULL DEFAULT now()',
      ');',
      `CREATE INDEX ${t.name}_user_created_idx ON ${t.name} (user_id, created_at DESC, id DESC);`,
    );
    const keys = t.columns.filter((c) => c.sql.includes('REFERENCES')).map((c) => c.name);
    for (const key of keys) lines.push(`CREATE INDEX ${t.name}_${key}_created_idx ON ${t.name} (${key}, created_at DESC, id DESC);`);
  }
  lines.push('', 'CREATE UNIQUE INDEX labels_project_name_key ON labels (project_id, name);');
  return `${lines.join('\n')}\n`;
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const pascal = (name: string) => {
  const c = camel(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
};

type Query = { name: string; kind: ':one' | ':maybe' | ':list' | ':exec'; header: string[]; sql: string; includes: string[] };

/** Every column of a table as a query selects it. */
function allColumns(t: Table, alias = ''): string[] {
  const prefix = alias === '' ? '' : `${alias}.`;
  return [`${prefix}id`, `${prefix}user_id`, ...t.columns.map((c) => `${prefix}${c.name}`), `${prefix}created_at`];
}
/** The columns a brief row shows: id, the foreign keys (includes read them through parent), the label, created_at. */
function briefColumns(t: Table, alias = ''): string[] {
  const prefix = alias === '' ? '' : `${alias}.`;
  const keys = t.parents.map((p) => p.column);
  return [
    ...new Set([`${prefix}id`, `${prefix}user_id`, ...keys.map((k) => `${prefix}${k}`), `${prefix}${t.label}`, `${prefix}created_at`]),
  ];
}

const ORDER = '-- order: created_at DESC, id DESC';

/** A `:one` include of the row a foreign key of `from` points at (users for user_id). */
function parentInclude(path: string, parent: Parent | 'owner'): { field: string; text: string; target: Table | null } {
  if (parent === 'owner') {
    return {
      field: 'owner',
      target: null,
      text: `-- include: ${path}.owner :one\nSELECT u.id, u.email, u.display_name FROM users u WHERE u.id = parent.user_id;`,
    };
  }
  const target = table(parent.table);
  const field = lowerFirst(target.entity);
  const columns = briefColumns(target, target.alias).join(', ');
  return {
    field,
    target,
    text: `-- include: ${path}.${field} :one\nSELECT ${columns} FROM ${target.name} ${target.alias} WHERE ${target.alias}.id = parent.${parent.column} AND ${target.alias}.user_id = :userId;`,
  };
}

/** A `:many` include of the rows whose foreign key points at the parent row's id. */
function childInclude(path: string, child: { table: Table; column: string }, limit: number): { field: string; text: string } {
  const t = child.table;
  const field = `${lowerFirst(t.plural)}By${pascal(child.column.replace(/_id$/, ''))}`;
  const columns = briefColumns(t, t.alias).join(', ');
  return {
    field,
    text: `-- include: ${path}.${field} :many limit ${limit}\n${ORDER}\nSELECT ${columns} FROM ${t.name} ${t.alias} WHERE ${t.alias}.${child.column} = parent.id AND ${t.alias}.user_id = :userId;`,
  };
}

/** The many side the child-include templates use: the table's own children, else its first parent's (nested). */
function manyIncludes(path: string, t: Table, limit: number): string[] {
  const children = childrenOf(t.name);
  if (children[0] !== undefined) return [childInclude(path, children[0], limit).text];
  const first = t.parents[0];
  if (first === undefined) return [parentInclude(path, 'owner').text];
  const up = parentInclude(path, first);
  const nested = childrenOf(first.table)[0];
  return nested === undefined ? [up.text] : [up.text, childInclude(`${path}.${up.field}`, nested, limit).text];
}

/** Twenty queries over one table: reads by key, keyset lists, counts, writes; seven of them with includes. */
function queriesFor(t: Table): Query[] {
  const E = t.entity;
  const P = t.plural;
  const id = `${lowerFirst(E)}Id`;
  const a = t.alias;
  const all = allColumns(t).join(', ');
  const brief = briefColumns(t).join(', ');
  const firstParent = t.parents[0];
  const enumColumn = t.columns.find((c) => c.kind === 'enum');
  const textColumn = t.columns.find((c) => c.kind === 'text' && c.name !== t.label) ?? t.columns.find((c) => c.kind === 'text');
  if (textColumn === undefined) throw new Error(`${t.name} has no text column`);
  const byKey = `WHERE id = :${id} AND user_id = :userId`;
  const queries: Query[] = [];
  const add = (name: string, kind: Query['kind'], sql: string, header: string[] = [], includes: string[] = []) =>
    queries.push({ name, kind, header, sql, includes });

  add(`get${E}`, ':one', `SELECT ${all}\nFROM ${t.name}\n${byKey};`, ['-- budget: 5ms']);
  add(
    `get${E}Brief`,
    ':one',
    `SELECT ${brief}\nFROM ${t.name}\n${byKey};`,
    ['-- cache: 30s'],
    [parentInclude(`get${E}Brief`, 'owner').text],
  );
  {
    const path = `get${E}Detail`;
    const includes = [
      ...t.parents.slice(0, 1).map((p) => parentInclude(path, p).text),
      ...childrenOf(t.name)
        .slice(0, 2)
        .map((c, i) => childInclude(path, c, i === 0 ? 10 : 5).text),
    ];
    if (includes.length === 0) includes.push(parentInclude(path, 'owner').text);
    add(path, ':one', `SELECT ${all}\nFROM ${t.name}\n${byKey};`, ['-- budget: 20ms'], includes.slice(0, 3));
  }
  add(`find${E}`, ':maybe', `SELECT ${brief}\nFROM ${t.name}\n${byKey};`);
  {
    const path = `find${E}WithParent`;
    add(path, ':maybe', `SELECT ${brief}\nFROM ${t.name}\n${byKey};`, [], [parentInclude(path, firstParent ?? 'owner').text]);
  }
  add(`list${P}`, ':list', `SELECT ${all}\nFROM ${t.name}\nWHERE user_id = :userId;`, ['-- replica: ok', ORDER]);
  {
    const path = `list${P}WithParents`;
    const includes = [...t.parents.map((p) => parentInclude(path, p).text), parentInclude(path, 'owner').text].slice(0, 2);
    add(path, ':list', `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId;`, [ORDER], includes);
  }
  {
    const path = `list${P}WithRelated`;
    add(path, ':list', `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId;`, [ORDER, '-- budget: 25ms'], manyIncludes(path, t, 3));
  }
  if (enumColumn !== undefined && enumColumn.enumType !== undefined) {
    const param = camel(enumColumn.name);
    add(
      `list${P}By${pascal(enumColumn.name)}`,
      ':list',
      `SELECT ${brief}, ${enumColumn.name}\nFROM ${t.name}\nWHERE user_id = :userId\n  AND (:${param}?::${enumColumn.enumType} IS NULL OR ${enumColumn.name} = :${param}?);`,
      [ORDER],
    );
  } else {
    add(
      `list${P}Since`,
      ':list',
      `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId\n  AND (:since?::timestamptz IS NULL OR created_at >= :since?);`,
      [ORDER],
    );
  }
  if (firstParent !== undefined) {
    const parent = table(firstParent.table);
    const param = `${lowerFirst(parent.entity)}Id`;
    add(
      `list${P}By${parent.entity}`,
      ':list',
      `SELECT ${brief}\nFROM ${t.name}\nWHERE ${firstParent.column} = :${param} AND user_id = :userId;`,
      [ORDER],
    );
    const path = `list${P}By${parent.entity}Detailed`;
    add(
      path,
      ':list',
      `SELECT ${all}\nFROM ${t.name}\nWHERE ${firstParent.column} = :${param} AND user_id = :userId;`,
      [ORDER],
      [parentInclude(path, firstParent).text],
    );
    add(
      `list${P}With${parent.entity}Name`,
      ':list',
      `SELECT ${briefColumns(t, a).join(', ')}, ${parent.alias}2.${parent.label} AS ${parent.name.replace(/s$/, '')}_${parent.label}\nFROM ${t.name} ${a}\nJOIN ${parent.name} ${parent.alias}2 ON ${parent.alias}2.id = ${a}.${firstParent.column} AND ${parent.alias}2.user_id = ${a}.user_id\nWHERE ${a}.user_id = :userId;`,
      [ORDER],
    );
  } else {
    add(`list${P}Active`, ':list', `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId AND archived_at IS NULL;`, [ORDER]);
    const path = `list${P}Overview`;
    add(path, ':list', `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId;`, [ORDER], manyIncludes(path, t, 5).slice(0, 1));
    add(
      `list${P}WithOwner`,
      ':list',
      `SELECT ${briefColumns(t, a).join(', ')}, u.email AS owner_email\nFROM ${t.name} ${a}\nJOIN users u ON u.id = ${a}.user_id\nWHERE ${a}.user_id = :userId;`,
      [ORDER],
    );
  }
  add(`count${P}`, ':one', `SELECT count(*)::int4 AS total\nFROM ${t.name}\nWHERE user_id = :userId;`, ['-- cache: 1m']);
  {
    const path = `latest${E}`;
    add(
      path,
      ':maybe',
      `SELECT ${brief}\nFROM ${t.name}\nWHERE user_id = :userId\nORDER BY created_at DESC, id DESC\nLIMIT 1;`,
      [],
      [parentInclude(path, firstParent ?? 'owner').text],
    );
  }
  const required = t.columns.filter((c) => c.required);
  const insertColumns = ['user_id', ...required.map((c) => c.name)];
  const insertValues = insertColumns.map((c) => `:${camel(c)}`);
  add(
    `create${E}`,
    ':one',
    `INSERT INTO ${t.name} (${insertColumns.join(', ')})\nVALUES (${insertValues.join(', ')})\nRETURNING ${brief};`,
  );
  add(`add${E}`, ':exec', `INSERT INTO ${t.name} (${insertColumns.join(', ')})\nVALUES (${insertValues.join(', ')});`);
  add(
    `update${E}${pascal(textColumn.name)}`,
    ':exec',
    `UPDATE ${t.name}\nSET ${textColumn.name} = :${camel(textColumn.name)}${textColumn.notNull ? '' : '?'}\n${byKey};`,
  );
  {
    const set =
      enumColumn !== undefined
        ? `${enumColumn.name} = :${camel(enumColumn.name)}`
        : `${textColumn.name} = coalesce(:${camel(textColumn.name)}?, ${textColumn.name})`;
    add(`update${E}`, ':one', `UPDATE ${t.name}\nSET ${set}\n${byKey}\nRETURNING ${all};`, ['-- budget: 10ms']);
  }
  add(`delete${E}`, ':exec', `DELETE FROM ${t.name}\n${byKey};`);
  add(`delete${P}Before`, ':exec', `DELETE FROM ${t.name}\nWHERE user_id = :userId AND created_at < :before;`);
  if (queries.length !== 20) throw new Error(`${t.name}: ${queries.length} queries, not 20`);
  return queries;
}

function queryFile(t: Table, queries: Query[]): string {
  const blocks = queries.map((q) => [`-- name: ${q.name} ${q.kind}`, ...q.header, q.sql, ...q.includes.map((i) => `\n${i}`)].join('\n'));
  return `-- ${t.name}: generated by bench/codegen-project.ts\n\n${blocks.join('\n\n')}\n`;
}

export type CodegenProject = { root: string; queryFiles: string[]; queries: number; withIncludes: number; includes: number };

/** Writes the project into `root` (created if missing) and says what it holds. */
export async function writeCodegenProject(root: string): Promise<CodegenProject> {
  await mkdir(join(root, 'sql', 'schema'), { recursive: true });
  await mkdir(join(root, 'sql', 'queries'), { recursive: true });
  await writeFile(
    join(root, 'sqlbound.config.json'),
    `${JSON.stringify(
      {
        queries: ['sql/queries/*.sql'],
        schema: { from: 'migrations', dir: 'sql/schema' },
        out: 'generated',
        runtime: 'sqlbound',
        schemas: ['public'],
        cache: { scopeParam: 'userId', scopeColumn: 'user_id', ownerTable: 'users' },
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(join(root, 'sql', 'schema', '001_init.sql'), schemaSql());
  const queryFiles: string[] = [];
  let queries = 0;
  let withIncludes = 0;
  let includes = 0;
  for (const t of TABLES) {
    const list = queriesFor(t);
    const file = join(root, 'sql', 'queries', `${t.name}.sql`);
    await writeFile(file, queryFile(t, list));
    queryFiles.push(file);
    queries += list.length;
    withIncludes += list.filter((q) => q.includes.length > 0).length;
    includes += list.reduce((sum, q) => sum + q.includes.length, 0);
  }
  return { root, queryFiles, queries, withIncludes, includes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = process.argv[2];
  const root = target === undefined ? await mkdtemp(join(tmpdir(), 'sqlbound-codegen-project-')) : resolve(target);
  const project = await writeCodegenProject(root);
  process.stdout.write(
    `${project.root}: ${project.queries} queries in ${project.queryFiles.length} files, ${project.withIncludes} with includes (${project.includes} includes)\n`,
  );
}
