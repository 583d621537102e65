/** A value that JSON.parse can return: the runtime type of json and jsonb columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
