/**
 * PostgreSQL array literals (`{1,2,NULL}`, `{"a","b\"c"}`) for parameters cast to an array type
 * (`$1::int[]`), written out directly: a batch of thousands of values travels as one short string
 * per column, which costs a fraction of pg's generic array serialisation on our side and of
 * parsing JSON on the server's (see bench/usage-ingest.ts). Callers pass values already
 * validated for their column: finite numbers, decimal strings, bigint ids as strings.
 */

type Nullable<T> = ReadonlyArray<T | null>;

/** `{a,b,NULL}`, each value written by `write`; a plain loop, as this runs for every column of every usage batch. */
function literal<T>(values: Nullable<T>, write: (value: T) => string): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : write(v);
  }
  return `${out}}`;
}

const plain = (values: Nullable<number | string>): string => literal(values, String);

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

export const booleanArray = (values: Nullable<boolean>): string => literal(values, (v) => (v ? 't' : 'f'));

// Inside double quotes only `"` and `\` need a backslash; NUL cannot be stored in text at all.
// Most values have neither: testing first saves building a copy of each.
const ESCAPED = /["\\]/;
const quoted = (v: string): string => (ESCAPED.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`);

export const textArray = (values: Nullable<string>): string => literal(values, quoted);
