// The procedures of a tRPC router as plain data: path, kind and input schema, read from the router itself so
// that a suite over "every procedure" cannot miss one that is added later.
import type { AnyTRPCRouter } from '@trpc/server';
import type { z } from 'zod';

export type ProcedureInput = {
  path: string;
  type: 'query' | 'mutation';
  /** The zod schema of `.input(...)`, or null for a procedure without input. */
  input: z.core.$ZodType | null;
};

function isZodSchema(value: unknown): value is z.core.$ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

export function procedureInputs(router: AnyTRPCRouter): ProcedureInput[] {
  // tRPC types a router's procedure record as any.
  const procedures = router._def.procedures as Record<string, unknown>;
  return Object.entries(procedures).map(([path, procedure]) => {
    const def: unknown = Reflect.get(Object(procedure), '_def');
    const type: unknown = Reflect.get(Object(def), 'type');
    const inputs: unknown = Reflect.get(Object(def), 'inputs');
    if (type !== 'query' && type !== 'mutation') throw new Error(`${path}: ${String(type)} procedures are not covered`);
    if (!Array.isArray(inputs) || inputs.length > 1) throw new Error(`${path}: expected at most one input parser`);
    const [input] = inputs as unknown[];
    if (input !== undefined && !isZodSchema(input)) throw new Error(`${path}: the input is not a zod schema`);
    return { path, type, input: input ?? null };
  });
}
