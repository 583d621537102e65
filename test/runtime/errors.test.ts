// toSqlboundError against real server errors and the client-side failures pg and pg-pool produce.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import {
  DatabaseError,
  ForeignKeyViolationError,
  InvalidInputError,
  PoolTimeoutError,
  SerializationFailureError,
  StatementTimeoutError,
  UnavailableError,
  UniqueViolationError,
  toSqlboundError,
} from 'sqlbound';
import { testDatabase } from '../support/database.js';
import { withClient } from './support.js';

const { url } = await testDatabase();

async function serverError(sql: string): Promise<unknown> {
  return withClient(url, async (client) => {
    try {
      await client.query(sql);
    } catch (error) {
      return error;
    }
    throw new Error(`expected ${sql} to fail`);
  });
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toSqlboundError', () => {
  test('maps server errors by SQLSTATE and keeps the cause', async () => {
    await withClient(url, (client) => client.query("INSERT INTO users (id, email, full_name) VALUES (1, 'a@b.c', 'A')"));
    const unique = toSqlboundError(await serverError("INSERT INTO users (id, email, full_name) VALUES (1, 'x@b.c', 'X')"), 'q');
    assert.ok(unique instanceof UniqueViolationError);
    assert.equal(unique.sqlState, '23505');
    assert.equal(unique.queryName, 'q');
    assert.ok(unique.cause instanceof pg.DatabaseError);
    const fk = toSqlboundError(
      await serverError("INSERT INTO subscriptions (user_id, plan, status, current_period_end) VALUES (999, 'free', 'active', now())"),
      'q',
    );
    assert.ok(fk instanceof ForeignKeyViolationError);
    assert.ok(toSqlboundError(await serverError("SELECT 'abc'::bigint"), 'q') instanceof InvalidInputError);
    assert.ok(toSqlboundError(await serverError('SELECT 1/0'), 'q') instanceof InvalidInputError);
    const timeout = await serverError('SET statement_timeout = 50; SELECT pg_sleep(1)');
    assert.ok(toSqlboundError(timeout, 'q') instanceof StatementTimeoutError);
    const other = toSqlboundError(await serverError('SELECT * FROM no_such_table'), 'q');
    assert.ok(other instanceof DatabaseError);
    assert.equal(other.sqlState, '42P01');
  });

  test('maps serialization failures, connection failures and pool timeouts', () => {
    assert.ok(toSqlboundError(withCode('could not serialize access', '40001'), 'q') instanceof SerializationFailureError);
    assert.ok(toSqlboundError(withCode('deadlock detected', '40P01'), 'q') instanceof SerializationFailureError);
    assert.ok(toSqlboundError(withCode('canceling statement due to user request', '57014'), 'q') instanceof DatabaseError);
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001']) {
      assert.ok(toSqlboundError(withCode('gone', code), 'q') instanceof UnavailableError, code);
    }
    assert.ok(toSqlboundError(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'q') instanceof UnavailableError);
    assert.ok(toSqlboundError(withCode('read ECONNRESET', 'ECONNRESET'), 'q') instanceof UnavailableError);
    assert.ok(toSqlboundError(new AggregateError([withCode('x', 'ECONNREFUSED')]), 'q') instanceof UnavailableError);
    assert.ok(toSqlboundError(new Error('Connection terminated unexpectedly'), 'q') instanceof UnavailableError);
    assert.ok(toSqlboundError(new Error('timeout exceeded when trying to connect'), 'q') instanceof PoolTimeoutError);
    const typed = new UniqueViolationError('already typed');
    assert.equal(toSqlboundError(typed, 'q'), typed);
    assert.ok(toSqlboundError('a string', 'q') instanceof DatabaseError);
  });
});
