// What the key analysis (./keys.ts) proves of a result, as plain data: which output columns are unique together, and
// which keys a join repeats. Its own module, so the scope (./scope.ts) can carry it without importing the analysis.

/** A relation's key that a join repeats in the result: item indexes of its columns and who repeats them. */
export type Repeated = { columns: number[]; relation: string; join: string; other: string };

/**
 * Every output item is a column of one row of one table (`table` by oid, `columns` the table's column per item), and
 * `keys` are the output positions of each of its unique keys that the items hold. Two such results over the same table
 * and columns agree on a key only for the same table row, so a set operation that removes duplicate rows (UNION) keeps
 * the table's keys unique: a recursive CTE that walks a tree with UNION yields each node once.
 */
export type RowOfTable = { table: number; columns: number[]; keys: number[][] };

/**
 * Sets of output item indexes whose values are unique across the rows; keys repeated by a join; and, when every item
 * is a column of one table's row, which (absent where it was not derived).
 */
export type Keys = { unique: number[][]; repeated: Repeated[]; rowOf?: RowOfTable | null };

export const NO_KEYS: Keys = { unique: [], repeated: [] };
