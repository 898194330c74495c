/**
 * Indexes over the record store so portals of 300,000+ records stay fast: per object type the
 * record ids in ascending order (list pages are a binary search plus one page of records, not a
 * scan), and per unique property (`hasUniqueValue`, and contact `email` case-insensitively) the
 * value → record id of live records (upsert by `idProperty`, duplicate checks). Every write path
 * in records.ts, the seeder and the bulk insert call `put`/`remove`; `rebuild` after a reset or load.
 */
import type { PortalState, StoredRecord } from './state.js';

const uniqueKey = (typeId: string, prop: string) => `${typeId}\u0000${prop}`;

export function normaliseUnique(typeId: string, prop: string, value: string): string {
  return typeId === '0-1' && prop === 'email' ? value.toLowerCase() : value;
}

export class RecordIndex {
  private readonly ordered = new Map<string, number[]>();
  private readonly unique = new Map<string, Map<string, string>>();

  constructor(private readonly state: () => PortalState) {}

  /** Names of the properties of `typeId` whose values must be unique. */
  uniqueProps(typeId: string): string[] {
    const defs = this.state().properties[typeId] ?? {};
    const names = Object.values(defs).filter((d) => d.hasUniqueValue && !d.archived).map((d) => d.name);
    return typeId === '0-1' ? ['email', ...names] : names;
  }

  /** Records a created or changed record; `previous` = its property values before the change. */
  put(typeId: string, record: StoredRecord, previous?: Record<string, string>, props = this.uniqueProps(typeId)): void {
    this.insertId(typeId, Number(record.id));
    for (const prop of props) {
      const map = this.uniqueMap(typeId, prop);
      const old = previous?.[prop];
      if (old) {
        const k = normaliseUnique(typeId, prop, old);
        if (map.get(k) === record.id) map.delete(k);
      }
      const v = record.properties[prop];
      if (v && !record.archived) map.set(normaliseUnique(typeId, prop, v), record.id);
      else if (v) {
        const k = normaliseUnique(typeId, prop, v);
        if (map.get(k) === record.id) map.delete(k);
      }
    }
  }

  /** Forgets a record that no longer exists (GDPR delete). */
  remove(typeId: string, record: StoredRecord): void {
    const ids = this.ordered.get(typeId);
    if (ids) {
      const at = lowerBound(ids, Number(record.id));
      if (ids[at] === Number(record.id)) ids.splice(at, 1);
    }
    for (const prop of this.uniqueProps(typeId)) {
      const v = record.properties[prop];
      const map = this.unique.get(uniqueKey(typeId, prop));
      if (v && map?.get(normaliseUnique(typeId, prop, v)) === record.id) map.delete(normaliseUnique(typeId, prop, v));
    }
  }

  /** The live record id holding `value` for a unique property, if any. */
  findUnique(typeId: string, prop: string, value: string): string | undefined {
    return this.unique.get(uniqueKey(typeId, prop))?.get(normaliseUnique(typeId, prop, value));
  }

  /** Up to `count` ids ≥ `fromId` in ascending order whose record passes `keep`. */
  page(typeId: string, fromId: number, count: number, keep: (id: string) => boolean): string[] {
    const ids = this.ordered.get(typeId) ?? [];
    const out: string[] = [];
    for (let i = lowerBound(ids, fromId); i < ids.length && out.length < count; i++) {
      const id = String(ids[i]);
      if (keep(id)) out.push(id);
    }
    return out;
  }

  rebuild(): void {
    this.ordered.clear();
    this.unique.clear();
    for (const [typeId, bucket] of Object.entries(this.state().objects)) {
      const props = this.uniqueProps(typeId);
      for (const r of Object.values(bucket)) this.put(typeId, r, undefined, props);
    }
  }

  private uniqueMap(typeId: string, prop: string): Map<string, string> {
    const k = uniqueKey(typeId, prop);
    let m = this.unique.get(k);
    if (!m) this.unique.set(k, (m = new Map<string, string>()));
    return m;
  }

  private insertId(typeId: string, id: number): void {
    let ids = this.ordered.get(typeId);
    if (!ids) this.ordered.set(typeId, (ids = []));
    const last = ids.at(-1);
    if (last === undefined || id > last) {
      ids.push(id);
      return;
    }
    const at = lowerBound(ids, id);
    if (ids[at] !== id) ids.splice(at, 0, id);
  }
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
