import { z } from 'zod';
import { getProfile, getProfileInput, getProfileJson, updateProfile, updateProfileInput } from '../../../generated/index.js';
import { writtenBy } from '../response-json.js';
import { authedProcedure, router } from '../trpc.js';

// Marks the answer for the fast path's writer (src/server/response-json.ts); made once, not per call.
const withWriter = writtenBy(getProfileJson);

// The generated schema admits any string; the API adds the product's rules so that no empty name or
// kilobyte-long phone number reaches the table. null or absent leaves a field as it is.
// A name is printable text: PostgreSQL refuses NUL (that was a database error), and a lone UTF-16 surrogate
// would be stored as U+FFFD, so the name saved would not be the name sent.
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;
// Bidirectional controls (embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, the marks U+200E, U+200F
// and U+061C) reorder how the text around them is shown: a name with U+202E displays reversed, in this app and
// in every admin screen, email or log that shows it (Trojan Source, CVE-2021-42574). A name shows right without
// them: the Unicode bidirectional algorithm orders its own letters.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
const profileUpdate = updateProfileInput
  .omit({ userId: true })
  .extend({
    fullName: z
      .string()
      .trim()
      .min(1, 'fullName must not be empty')
      .max(200, 'fullName must be at most 200 characters')
      .regex(PRINTABLE, 'fullName must be printable text: no control characters or unpaired surrogates')
      .refine(
        (name) => !BIDI_CONTROLS.test(name),
        'fullName must be printable text: no bidirectional control characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)',
      )
      .nullable()
      .optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{3,32}$/, 'phone must be 3 to 32 digits, spaces, parentheses or dashes, optionally after +')
      .nullable()
      .optional(),
  })
  .refine((value) => value.fullName != null || value.phone != null, 'give fullName or phone to change');

export const profileRouter = router({
  // Input: nothing or `{}`; an unknown key is a 400, as on every procedure.
  get: authedProcedure
    .input(getProfileInput.omit({ userId: true }).optional())
    .query(({ ctx }) => getProfile(ctx.db, { userId: ctx.userId }).then(withWriter)),
  update: authedProcedure.input(profileUpdate).mutation(({ ctx, input }) => updateProfile(ctx.db, { ...input, userId: ctx.userId })),
});
