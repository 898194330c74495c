/**
 * HubSpot-defined association type ids (official table, docs/hubspot-facts.md "Objects and associations"). Each row defines a
 * pair in both directions. `v3Name` is the `type` string the v3 `?associations=` expansion shows.
 */
export interface AssociationDef {
  fromTypeId: string;
  toTypeId: string;
  typeId: number;
  inverseTypeId: number;
  category: 'HUBSPOT_DEFINED' | 'USER_DEFINED';
  label: string | null;
  v3Name: string;
  /** The unlabeled default type of the pair (what `.../associations/default/...` creates). */
  isDefault: boolean;
}

const C = '0-1', CO = '0-2', D = '0-3', T = '0-5', N = '0-46', LI = '0-8', INV = '0-53';
const names: Record<string, string> = { [C]: 'contact', [CO]: 'company', [D]: 'deal', [T]: 'ticket', [N]: 'note', [LI]: 'line_item', [INV]: 'invoice' };

/** [from, to, typeId, inverseTypeId, label, isDefault, v3 name suffix] */
type Row = [string, string, number, number, string | null, boolean, string?];

const ROWS: Row[] = [
  [C, CO, 279, 280, null, true, '_unlabeled'], [C, CO, 1, 2, 'Primary', false],
  [C, D, 4, 3, null, true], [C, T, 15, 16, null, true],
  [CO, D, 342, 341, null, true, '_unlabeled'], [CO, D, 6, 5, 'Primary', false],
  [CO, T, 340, 339, null, true, '_unlabeled'], [CO, T, 25, 26, 'Primary', false],
  [D, T, 27, 28, null, true], [D, LI, 19, 20, null, true],
  [C, C, 449, 449, null, true], [CO, CO, 450, 450, null, true], [D, D, 451, 451, null, true], [T, T, 452, 452, null, true],
  [CO, CO, 13, 14, 'Parent Company', false, '_parent'],
  [N, C, 202, 201, null, true], [N, CO, 190, 189, null, true], [N, D, 214, 213, null, true], [N, T, 228, 227, null, true],
  // Invoice pairs. Choice: these ids are not in the table the reference quotes; clients should read
  // them from `GET /crm/v4/associations/invoices/{to}/labels`, as HubSpot recommends.
  [INV, C, 177, 178, null, true], [INV, CO, 179, 180, null, true], [INV, D, 175, 176, null, true], [INV, LI, 409, 410, null, true],
];

export function hubspotDefinedAssociations(): AssociationDef[] {
  const out: AssociationDef[] = [];
  for (const [from, to, typeId, inverse, label, isDefault, suffix] of ROWS) {
    const fwd = `${names[from]}_to_${names[to]}${suffix ?? ''}`;
    const back = `${names[to]}_to_${names[from]}${suffix === '_parent' ? '_child' : suffix ?? ''}`;
    out.push({ fromTypeId: from, toTypeId: to, typeId, inverseTypeId: inverse, category: 'HUBSPOT_DEFINED', label, v3Name: fwd, isDefault });
    if (!(from === to && typeId === inverse)) {
      const backLabel = typeId === 13 ? 'Child Company' : label;
      out.push({ fromTypeId: to, toTypeId: from, typeId: inverse, inverseTypeId: typeId, category: 'HUBSPOT_DEFINED', label: backLabel, v3Name: back, isDefault });
    }
  }
  return out;
}

/** Primary types imply their pair's default type ("will cause the corresponding non-primary association to also be created"). */
export const PRIMARY_TYPE_IDS = new Set([1, 2, 5, 6, 25, 26]);
