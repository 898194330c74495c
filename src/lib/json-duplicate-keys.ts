/**
 * JSON leaves duplicate object keys to the reader, and `JSON.parse` keeps the last one, so
 * `{"scopes":["read"],"scopes":["admin"]}` means `admin` to us while a proxy, a log reader or a
 * client library that keeps the first one sees `read`. Two readers disagreeing about one body is
 * how checks get bypassed, so bodies with a repeated key are refused instead of guessed at.
 *
 * One pass over text that `JSON.parse` has already accepted (so it is valid JSON and the scanner
 * needs to know only strings and brackets). Keys are compared after unescaping: `"a"` and
 * `"\u0061"` are the same key.
 */

const QUOTE = 0x22;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

interface Level {
  /** Keys seen so far in this object; null for an array. */
  keys: Set<string> | null;
  /** The next string in this object is a key (after `{` or `,`). */
  expectKey: boolean;
  /** The current element's position in an array. */
  index: number;
  path: string;
}

/** The index of the closing quote of the string whose opening quote is at `from`. */
function stringEnd(text: string, from: number): number {
  for (let quote = text.indexOf('"', from + 1); ; quote = text.indexOf('"', quote + 1)) {
    // A quote preceded by an odd number of backslashes is part of the string.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
}

/** Keys written in the text: in valid JSON every colon outside a string follows a key. */
function countWrittenKeys(json: string): number {
  let keys = 0;
  let at = 0;
  for (;;) {
    const quote = json.indexOf('"', at);
    const gapEnd = quote === -1 ? json.length : quote;
    for (let i = at; i < gapEnd; i++) if (json.charCodeAt(i) === COLON) keys++;
    if (quote === -1) return keys;
    at = stringEnd(json, quote) + 1;
  }
}

/** Keys the parsed value holds (a repeated key is held once); iterative, for deeply nested input. */
function countParsedKeys(root: unknown): number {
  let keys = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const key in value) {
      keys++;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object') stack.push(item);
    }
  }
  return keys;
}

/**
 * The dotted path of the first repeated key of `json` (e.g. `inputs.3.name`), or undefined when
 * every key is unique. `parsed` is `JSON.parse(json)`: comparing the keys written with the keys
 * parsed is cheap, and only a body that differs is scanned for where.
 */
export function findDuplicateKey(json: string, parsed: unknown): string | undefined {
  if (countWrittenKeys(json) === countParsedKeys(parsed)) return undefined;
  return locateDuplicateKey(json);
}

function locateDuplicateKey(json: string): string | undefined {
  const stack: Level[] = [];
  let lastKey = '';
  for (let at = 0; at < json.length; at++) {
    const code = json.charCodeAt(at);
    const top = stack[stack.length - 1];
    if (code === QUOTE) {
      const end = stringEnd(json, at);
      if (top?.keys && top.expectKey) {
        const raw = json.slice(at + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const name = top ? (top.keys ? lastKey : String(top.index)) : '';
      const path = top?.path ? `${top.path}.${name}` : name;
      stack.push({ keys: code === OPEN_OBJECT ? new Set() : null, expectKey: code === OPEN_OBJECT, index: 0, path });
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      stack.pop();
    } else if (code === COMMA && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}
