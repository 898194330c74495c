/**
 * What search can see. HubSpot: "It may take a few moments for newly created or updated CRM objects
 * to appear in search results." Writes become visible `searchIndexLagMs` (time-scaled, on HubSpot
 * time, so a clock jump makes them visible) after they happen; until then search serves the previous
 * snapshot. Records come back in id order; `version` changes whenever what search sees changes, so
 * callers can cache a result across the pages of one query.
 */
import type { Clock } from './clock.js';
import type { StoredRecord } from './state.js';

interface Pending { visibleAt: number; typeId: string; id: string; snapshot: StoredRecord | null }
interface TypeIndex { byId: Map<string, StoredRecord>; maxId: number; ordered: boolean; list: StoredRecord[] | undefined }

export class SearchIndex {
  private readonly index = new Map<string, TypeIndex>();
  private pending: Pending[] = [];
  private changes = 0;

  constructor(private readonly clock: Clock, private readonly lagMs: () => number) {}

  /** Records a write; `record` null or archived removes it ("Archived CRM objects won't appear"). */
  put(typeId: string, id: string, record: StoredRecord | null): void {
    const lag = this.lagMs();
    const live = record && !record.archived ? record : null;
    // Without lag the store's record is what search sees; with lag a copy freezes the old state.
    if (lag <= 0) this.apply({ visibleAt: 0, typeId, id, snapshot: live });
    else this.pending.push({ visibleAt: this.clock.now() + lag, typeId, id, snapshot: live && structuredClone(live) });
  }

  /** Makes a record visible at once (seeding: the index is built, not lagging). */
  putNow(typeId: string, record: StoredRecord): void {
    this.apply({ visibleAt: 0, typeId, id: record.id, snapshot: record.archived ? null : record });
  }

  /** Changes whenever the visible set of any type changes. */
  version(): number {
    this.applyDue();
    return this.changes;
  }

  /** Visible records of a type in ascending id order (shared array: do not mutate). */
  records(typeId: string): readonly StoredRecord[] {
    this.applyDue();
    const t = this.index.get(typeId);
    if (!t) return [];
    if (!t.list) {
      t.list = [...t.byId.values()];
      if (!t.ordered) {
        t.list.sort((a, b) => Number(a.id) - Number(b.id));
        t.byId.clear();
        for (const r of t.list) t.byId.set(r.id, r);
        t.ordered = true;
      }
    }
    return t.list;
  }

  /** Association changes alter `associations.*` filter results without touching a record. */
  touch(): void {
    this.changes++;
  }

  clear(): void {
    this.index.clear();
    this.pending = [];
    this.changes++;
  }

  private applyDue(): void {
    if (this.pending.length === 0) return;
    const now = this.clock.now();
    const due = this.pending.filter((p) => p.visibleAt <= now);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.visibleAt > now);
    for (const p of due) this.apply(p);
  }

  private apply(p: Pending): void {
    let t = this.index.get(p.typeId);
    if (!t) this.index.set(p.typeId, (t = { byId: new Map(), maxId: 0, ordered: true, list: undefined }));
    const n = Number(p.id);
    if (p.snapshot) {
      if (!t.byId.has(p.id)) {
        if (n < t.maxId) t.ordered = false;
        else t.maxId = n;
      }
      t.byId.set(p.id, p.snapshot);
    } else if (!t.byId.delete(p.id)) return;
    t.list = undefined;
    this.changes++;
  }
}
