// The generator the hostile-input suite builds on: its values must be ones the schemas accept, or the suite
// would test only the rejection path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { appRouter } from '../../src/server/routers/index.js';
import { procedureInputs } from './procedures.js';
import { zodArbitrary } from './zod-arbitrary.js';

test('every procedure input: generated values pass its schema, cross-field refinements aside', () => {
  const procedures = procedureInputs(appRouter);
  assert.ok(procedures.filter((procedure) => procedure.input !== null).length >= 6);
  for (const { path, input } of procedures) {
    if (input === null) continue;
    const samples = fc.sample(zodArbitrary(input), { numRuns: 300, seed: 7 });
    let accepted = 0;
    for (const sample of samples) {
      const result: z.ZodSafeParseResult<unknown> = z.safeParse(input, sample);
      if (result.success) accepted += 1;
      // The generator cannot know an object-level refine (profile.update wants fullName or phone): only that may fail.
      else assert.deepEqual([...new Set(result.error.issues.map((issue) => issue.code))], ['custom'], `${path}: ${JSON.stringify(sample)}`);
    }
    assert.ok(accepted >= samples.length / 2, `${path}: ${accepted} of ${samples.length} accepted`);
  }
});

test('string, number and enum constraints are honoured; an unknown schema kind is an error', () => {
  const schema = z.strictObject({
    id: z.string().regex(/^[1-9]\d{0,3}$/),
    name: z.string().min(2).max(5),
    count: z.number().int().min(-3).max(3),
    kind: z.enum(['a', 'b']),
    tags: z.array(z.literal('x')).max(2),
  });
  for (const sample of fc.sample(zodArbitrary(schema), { numRuns: 500, seed: 3 }))
    assert.ok(schema.safeParse(sample).success, JSON.stringify(sample));
  assert.throws(() => zodArbitrary(z.date()), /"date" is not supported/);
});
