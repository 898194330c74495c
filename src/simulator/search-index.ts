/**
 * What search can see. HubSpot: "It may take a few moments for newly created or updated CRM objects
 * to appear in search results." Writes become visible `searchIndexLagMs` (time-scaled) after they
 * happen; until then search serves the previous snapshot.
 */
import type { Clock } from './clock.js';
import type { StoredRecord } from './state.js';

interface Pending { visibleAt: number; typeId: string; id: string; snapshot: StoredRecord | null }

export class SearchIndex {
  private readonly index = new Map<string, Map<string, StoredRecord>>();
  private pending: Pending[] = [];

  constructor(private readonly clock: Clock, private readonly lagMs: () => number) {}

  /** Records a write; `record` null or archived removes it ("Archived CRM objects won't appear"). */
  put(typeId: string, id: string, record: StoredRecord | null): void {
    const snapshot = record && !record.archived ? structuredClone(record) : null;
    const lag = this.lagMs();
    if (lag <= 0) this.apply({ visibleAt: 0, typeId, id, snapshot });
    else this.pending.push({ visibleAt: this.clock.now() + lag, typeId, id, snapshot });
  }

  records(typeId: string): StoredRecord[] {
    const now = this.clock.now();
    if (this.pending.length > 0) {
      const due = this.pending.filter((p) => p.visibleAt <= now);
      this.pending = this.pending.filter((p) => p.visibleAt > now);
      for (const p of due) this.apply(p);
    }
    const m = this.index.get(typeId);
    if (!m) return [];
    return [...m.values()].sort((a, b) => Number(a.id) - Number(b.id));
  }

  clear(): void {
    this.index.clear();
    this.pending = [];
  }

  private apply(p: Pending): void {
    let m = this.index.get(p.typeId);
    if (!m) this.index.set(p.typeId, (m = new Map<string, StoredRecord>()));
    if (p.snapshot) m.set(p.id, p.snapshot);
    else m.delete(p.id);
  }
}
