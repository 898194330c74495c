/**
 * PostgreSQL array literals (`{1,2,NULL}`, `{"a","b\"c"}`) for parameters cast to an array type
 * (`$1::int[]`), written out directly: a batch of thousands of values travels as one short string
 * per column, which costs a fraction of pg's generic array serialisation on our side and of
 * parsing JSON on the server's (see bench/usage-ingest.ts). Callers pass values already
 * validated for their column: finite numbers, decimal strings, bigint ids as strings.
 */

type Nullable<T> = ReadonlyArray<T | null>;

const plain = (values: Nullable<number | string>): string => `{${values.map((v) => (v === null ? 'NULL' : v)).join(',')}}`;

/** Finite numbers (int, bigint below 2^53, float8 columns). */
export const numberArray = (values: Nullable<number>): string => {
  for (const v of values) if (v !== null && !Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return plain(values);
};

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Decimal strings (numeric columns) and bigint ids as strings. */
export const decimalArray = (values: Nullable<string>): string => {
  for (const v of values) if (v !== null && !DECIMAL.test(v)) throw new Error(`not a decimal: ${v}`);
  return plain(values);
};
export const bigintArray = decimalArray;

export const booleanArray = (values: Nullable<boolean>): string => `{${values.map((v) => (v === null ? 'NULL' : v ? 't' : 'f')).join(',')}}`;

// Inside double quotes only `"` and `\` need a backslash; NUL cannot be stored in text at all.
const quoted = (v: string): string => `"${v.replace(/["\\]/g, '\\$&')}"`;

export const textArray = (values: Nullable<string>): string => `{${values.map((v) => (v === null ? 'NULL' : quoted(v))).join(',')}}`;
