// A generated statement as pg runs it: a Submittable (pg's public interface for query objects, as pg-cursor uses)
// instead of pg's Query. pg's Query builds a Result per call: a dictionary object and a spread of it per result
// (`addFields`), a type parser looked up per column, and a spread of that object per row (`parseRow`). A generated
// statement's columns are the same on every call: their parsers and names are remembered per statement and reused
// while the server describes the same columns, and its rows are built once, by codegen's `shape` (an object literal
// by position) when the column names match it, by name otherwise. The protocol is pg's Query's, message for message
// (Parse once per connection for a named statement, then Bind, Describe portal, Execute, Sync).
import pg from 'pg';
import type { FieldDef } from 'pg';
import type { RowShape, Statement } from './contract.js';
import { byName, columnsMatch, warnOnce } from './shape.js';
import { statementTypes } from './timestamptz.js';

/** The result a statement resolves to: its rows (objects), the server's row count, and the columns it described. */
export type StatementResult = { rows: Record<string, unknown>[]; rowCount: number | null; fields: readonly FieldDef[] };

type TypeParser = (text: string) => unknown;

/** The part of pg's Connection a Submittable drives (pg/lib/connection.js). */
type Connection = {
  parsedStatements: Record<string, string | undefined>;
  submittedNamedStatements: Record<string, string | undefined>;
  stream: { cork?: () => void; uncork?: () => void };
  parse(query: { name: string; text: string }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows?: number }): void;
  sync(): void;
  close(message: { type: 'S'; name: string }): void;
  sendCopyFail(message: string): void;
};

/** How one statement's columns are read, for the columns the server described last. */
type Reading = {
  fields: readonly FieldDef[];
  names: string[];
  parsers: TypeParser[];
  /** A column read in binary (pg hands those to the parser as a Buffer). */
  binary: boolean[];
  /** The shape's builder when the server's columns are the shape's, in order; null: rows are built by name. */
  build: RowShape['build'] | null;
};

const readings = new WeakMap<Statement, Reading>();

const sameFields = (a: readonly FieldDef[], b: readonly FieldDef[]): boolean => {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x.name !== y.name || x.dataTypeID !== y.dataTypeID || x.format !== y.format) return false;
  }
  return true;
};

function readingOf(statement: Statement, fields: readonly FieldDef[]): Reading {
  const known = readings.get(statement);
  if (known !== undefined && sameFields(known.fields, fields)) return known;
  const shape = statement.shape;
  const matches = shape !== undefined && columnsMatch(shape, fields);
  if (shape !== undefined && !matches) warnOnce(shape, fields);
  const reading: Reading = {
    fields,
    names: fields.map((field) => field.name),
    parsers: fields.map((field) => statementTypes.getTypeParser(field.dataTypeID, field.format === 'binary' ? 'binary' : 'text')),
    binary: fields.map((field) => field.format === 'binary'),
    build: matches ? shape.build : null,
  };
  readings.set(statement, reading);
  return reading;
}

// pg's own value mapper (Dates in the process's zone, Buffers, arrays, JSON), so parameters are written as pg writes them.
const prepareValue = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils.prepareValue;
if (typeof prepareValue !== 'function') throw new Error('sqlbound: this pg has no utils.prepareValue (pg 8 is required)');

// pg's reading of a CommandComplete tag: `SELECT 5`, `UPDATE 3`, `INSERT 0 1` (the last number is the row count).
const COMMAND_TAG = /^([A-Za-z]+)(?: (\d+))?(?: (\d+))?/;

type StatementCallback = (error: Error | null, result: StatementResult | undefined) => void;

/**
 * The Submittable for one call: pg's interface is an object with methods, which a class keeps on one prototype
 * (a dozen closures per call otherwise). Its `name` and `text` are read by pg's client (ParseComplete records the
 * statement as parsed on the connection; an ErrorResponse forgets a statement submitted but not parsed).
 */
export class StatementQuery {
  readonly name: string | undefined;
  readonly text: string;
  callback: StatementCallback | undefined = undefined;
  private readonly statement: Statement;
  private readonly values: readonly unknown[];
  private reading: Reading | null = null;
  private rows: Record<string, unknown>[] = [];
  private rowCount: number | null = null;
  private failure: Error | null = null;

  constructor(statement: Statement, values: readonly unknown[], name: string | undefined) {
    this.statement = statement;
    this.values = values;
    this.name = name;
    this.text = statement.text;
  }

  submit(connection: Connection): Error | null {
    const { name, statement } = this;
    if (name !== undefined) {
      const previous = connection.parsedStatements[name] ?? connection.submittedNamedStatements[name];
      if (previous !== undefined && previous !== statement.text) {
        return new Error(`Prepared statements must be unique - '${name}' was used for a different statement`);
      }
    }
    // One write for the whole exchange, as pg's Query corks it.
    connection.stream.cork?.();
    try {
      const parsed =
        name !== undefined && (connection.parsedStatements[name] !== undefined || connection.submittedNamedStatements[name] !== undefined);
      if (!parsed) {
        connection.parse({ name: name ?? '', text: statement.text });
        if (name !== undefined) connection.submittedNamedStatements[name] = statement.text;
      }
      try {
        connection.bind({ portal: '', statement: name ?? '', values: this.values, valueMapper: prepareValue });
      } catch (error) {
        // A value pg cannot write (a toPostgres that throws): nothing runs, and the connection stays usable.
        connection.close({ type: 'S', name: name ?? '' });
        connection.sync();
        this.handleError(error instanceof Error ? error : new Error(String(error)));
        return null;
      }
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '' });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: FieldDef[] }): void {
    this.reading = readingOf(this.statement, message.fields);
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    const reading = this.reading;
    if (this.failure !== null || reading === null) return;
    const { parsers, binary, build, names } = reading;
    const texts = message.fields;
    const parsed = new Array<unknown>(texts.length);
    try {
      for (let k = 0; k < texts.length; k++) {
        const text = texts[k];
        parsed[k] = text === null || text === undefined ? null : parsers[k]!(binary[k] ? (Buffer.from(text) as unknown as string) : text);
      }
    } catch (error) {
      // As pg does: the rest of the rows are skipped and the error is the call's, once the server is ready.
      this.failure = error instanceof Error ? error : new Error(String(error));
      return;
    }
    this.rows.push(build === null ? byName(names, parsed) : build(parsed));
  }

  handleCommandComplete(message: { text: string }): void {
    const match = COMMAND_TAG.exec(message.text);
    const count = match?.[3] ?? match?.[2];
    if (count !== undefined) this.rowCount = Number.parseInt(count, 10);
  }

  handleEmptyQuery(): void {
    // Sync was sent with Execute: nothing to do until ReadyForQuery.
  }

  handlePortalSuspended(connection: Connection): void {
    // Not reached (Execute asks for every row); as pg's Query, read the rest.
    connection.execute({ portal: '' });
    connection.sync();
  }

  handleError(error: Error): void {
    const callback = this.callback;
    this.callback = undefined;
    const failure = this.failure;
    this.failure = null;
    this.rows = [];
    callback?.(failure ?? error, undefined);
  }

  handleReadyForQuery(): void {
    const callback = this.callback;
    if (callback === undefined) return;
    this.callback = undefined;
    const { rows, rowCount, failure } = this;
    // Nothing of the result stays reachable from this object. It waited for the server, so a scavenge may have
    // moved it to the old generation, and a dead old object's references keep young objects alive until the next
    // full collection: every page's rows were promoted (the heap grew by a page per call between collections).
    this.rows = [];
    this.failure = null;
    if (failure !== null) callback(failure, undefined);
    else callback(null, { rows, rowCount, fields: this.reading?.fields ?? [] });
  }

  handleCopyInResponse(connection: Connection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {
    // A generated statement does not copy.
  }
}
