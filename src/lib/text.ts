/**
 * Text that PostgreSQL can store: `text` and `jsonb` refuse U+0000, and `jsonb` refuses unpaired
 * UTF-16 surrogates (`"\ud800"` is valid JSON, but not valid Unicode). One such value in a webhook
 * or a HubSpot response used to reach the database and fail there, after the request was already
 * acknowledged. Everything that crosses a boundary into storage goes through these helpers.
 */

// A cheap first look (one character class) before the exact unpaired-surrogate pattern.
const NUL_OR_SURROGATE = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const REPLACEMENT = '\uFFFD';

/** True when `text` holds a NUL or an unpaired surrogate (nothing PostgreSQL can store). */
export function isBrokenText(text: string): boolean {
  return NUL_OR_SURROGATE.test(text) && (text.includes('\0') || LONE_SURROGATE.test(text));
}

/** `text` with NULs and unpaired surrogates replaced by U+FFFD, as a UTF-8 encoder would. */
export function repairText(text: string): string {
  return isBrokenText(text) ? text.replaceAll('\0', REPLACEMENT).replace(LONE_SURROGATES, REPLACEMENT) : text;
}

export interface Leaf {
  /** Dotted path from the root, e.g. `inputs.3.properties.name` (empty for the root itself). */
  path: string;
  value: unknown;
  /** True for an object key (its path names the object it belongs to). */
  isKey: boolean;
}

/**
 * Every leaf of a JSON value and every object key, depth first, without recursion (a body of 100k
 * nested arrays must not overflow the stack). Stops at the first leaf `visit` returns true for.
 */
export function findLeaf(root: unknown, visit: (leaf: Leaf) => boolean): Leaf | undefined {
  const stack: Array<{ path: string; value: unknown }> = [{ path: '', value: root }];
  while (stack.length > 0) {
    const { path, value } = stack.pop()!;
    if (value === null || typeof value !== 'object') {
      const leaf = { path, value, isKey: false };
      if (visit(leaf)) return leaf;
      continue;
    }
    const entries: Array<readonly [string, unknown]> = Array.isArray(value) ? value.map((item: unknown, i) => [String(i), item] as const) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      const itemPath = path ? `${path}.${key}` : key;
      if (!Array.isArray(value)) {
        const leaf = { path: itemPath, value: key, isKey: true };
        if (visit(leaf)) return leaf;
      }
      stack.push({ path: itemPath, value: item });
    }
  }
  return undefined;
}

const BACKSLASH_U = Buffer.from('\\u');
const HIGH_OR_LOW_SURROGATE_DIGIT = new Set([...'89abcdefABCDEF'].map((c) => c.charCodeAt(0)));

/**
 * False when parsing these JSON bytes cannot yield a NUL or an unpaired surrogate anywhere: JSON
 * can only write them as `\u0000` and `\uD800`–`\uDFFF` escapes (a raw control character is
 * invalid JSON, and a strict UTF-8 decoder refuses surrogate bytes). One pass over the bytes
 * instead of a walk over every parsed string; true means "look closer" (`findBrokenText`).
 */
export function jsonMayHoldBrokenText(json: Buffer): boolean {
  for (let at = json.indexOf(BACKSLASH_U); at !== -1; at = json.indexOf(BACKSLASH_U, at + 2)) {
    const first = json[at + 2];
    if (first === 0x30 && json[at + 3] === 0x30 && json[at + 4] === 0x30 && json[at + 5] === 0x30) return true;
    if ((first === 0x64 || first === 0x44) && HIGH_OR_LOW_SURROGATE_DIGIT.has(json[at + 3] ?? 0)) return true;
  }
  return false;
}

/** The first string (value or key) in a JSON value that PostgreSQL cannot store, or undefined. */
export function findBrokenText(root: unknown): Leaf | undefined {
  return findLeaf(root, (leaf) => typeof leaf.value === 'string' && isBrokenText(leaf.value));
}

/**
 * A copy of a parsed JSON value that PostgreSQL can store: every string and key repaired, and
 * anything nested deeper than `maxDepth` replaced by null (so it fails its schema instead of
 * overflowing the stack later). `changed` says whether anything was repaired or cut.
 */
export function storableJson(root: unknown, maxDepth: number): { value: unknown; changed: boolean } {
  let changed = false;
  const copy = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      const repaired = repairText(value);
      if (repaired !== value) changed = true;
      return repaired;
    }
    if (value === null || typeof value !== 'object') return value;
    if (depth >= maxDepth) {
      changed = true;
      return null;
    }
    if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const repairedKey = repairText(key);
      if (repairedKey !== key) changed = true;
      const value = copy(item, depth + 1);
      // A `__proto__` key must stay a plain key, never become the copy's prototype.
      if (repairedKey === '__proto__') Object.defineProperty(out, repairedKey, { value, enumerable: true, writable: true, configurable: true });
      else out[repairedKey] = value;
    }
    return out;
  };
  return { value: copy(root, 0), changed };
}
