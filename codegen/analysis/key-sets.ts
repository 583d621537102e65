// What the key analysis (./keys.ts) proves of a result, as plain data: which output columns are unique together, and
// which keys a join repeats. Its own module, so the scope (./scope.ts) can carry it without importing the analysis.

/** A relation's key that a join repeats in the result: item indexes of its columns and who repeats them. */
export type Repeated = { columns: number[]; relation: string; join: string; other: string };

/** Sets of output item indexes whose values are unique across the rows; keys repeated by a join. */
export type Keys = { unique: number[][]; repeated: Repeated[] };

export const NO_KEYS: Keys = { unique: [], repeated: [] };
