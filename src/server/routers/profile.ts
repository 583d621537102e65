import { z } from 'zod';
import { getProfile, updateProfile, updateProfileInput } from '../../../generated/index.js';
import { authedProcedure, router } from '../trpc.js';

// The generated schema admits any string; the API adds the product's rules so that no empty name or
// kilobyte-long phone number reaches the table. null or absent leaves a field as it is.
// A name is printable text: PostgreSQL refuses NUL (that was a database error), and a lone UTF-16 surrogate
// would be stored as U+FFFD, so the name saved would not be the name sent.
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;
const profileUpdate = updateProfileInput
  .omit({ userId: true })
  .extend({
    fullName: z
      .string()
      .trim()
      .min(1, 'fullName must not be empty')
      .max(200, 'fullName must be at most 200 characters')
      .regex(PRINTABLE, 'fullName must be printable text: no control characters or unpaired surrogates')
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
  get: authedProcedure.query(({ ctx }) => getProfile(ctx.db, { userId: ctx.userId })),
  update: authedProcedure.input(profileUpdate).mutation(({ ctx, input }) => updateProfile(ctx.db, { ...input, userId: ctx.userId })),
});
