/**
 * The demo portal: a few companies, contacts, deals (one closed-won) and tickets, associated the
 * way a real portal would be. Deterministic so demos and docs can refer to it. Seeded as UI edits
 * before any webhook target exists, so it emits nothing.
 */
import type { ChangeSource, SimContext } from './context.js';
import { addAssociation } from './associations-store.js';
import { createRecord } from './records.js';
import { resolveObjectType } from './state.js';

const SEED_SOURCE: ChangeSource = { changeSource: 'CRM_UI', sourceId: 'userId:1000001' };

export function seedDemoPortal(ctx: SimContext): void {
  const t = (name: string) => {
    const info = resolveObjectType(ctx.state, name, ctx.opts.portalId);
    if (!info) throw new Error(`seed: unknown object type ${name}`);
    return info;
  };
  const [company, contact, deal, ticket, note] = [t('companies'), t('contacts'), t('deals'), t('tickets'), t('notes')];
  const companies = [
    { name: 'Acme Telecom GmbH', domain: 'acme-telecom.example', city: 'Berlin', country: 'Germany', industry: 'Telecommunications' },
    { name: 'Globex Networks', domain: 'globex.example', city: 'Zurich', country: 'Switzerland', industry: 'Networking' },
    { name: 'Initech Voice', domain: 'initech.example', city: 'Vienna', country: 'Austria', industry: 'VoIP' },
  ].map((p) => createRecord(ctx, company, p, SEED_SOURCE));
  const contacts = [
    { email: 'anna.schmidt@acme-telecom.example', firstname: 'Anna', lastname: 'Schmidt', phone: '+49 30 1234567', jobtitle: 'CTO', lifecyclestage: 'customer' },
    { email: 'ben.meier@acme-telecom.example', firstname: 'Ben', lastname: 'Meier', jobtitle: 'Network Engineer', lifecyclestage: 'customer' },
    { email: 'clara.huber@globex.example', firstname: 'Clara', lastname: 'Huber', jobtitle: 'Head of IT', lifecyclestage: 'opportunity' },
    { email: 'david.keller@initech.example', firstname: 'David', lastname: 'Keller', lifecyclestage: 'lead' },
    { email: 'eva.wolf@example.org', firstname: 'Eva', lastname: 'Wolf', lifecyclestage: 'subscriber' },
  ].map((p) => createRecord(ctx, contact, p, SEED_SOURCE));
  const companyOf = [0, 0, 1, 2];
  companyOf.forEach((ci, i) => addAssociation(ctx, contact, contacts[i]!.id, company, companies[ci]!.id, [1], SEED_SOURCE));
  const deals = [
    { dealname: 'Acme SIP trunk 200 channels', amount: '24000', deal_currency_code: 'EUR', pipeline: 'default', dealstage: 'closedwon', closedate: '2026-01-15T00:00:00.000Z' },
    { dealname: 'Globex number porting', amount: '8500', deal_currency_code: 'CHF', pipeline: 'default', dealstage: 'contractsent' },
    { dealname: 'Initech cloud PBX pilot', amount: '3000', deal_currency_code: 'EUR', pipeline: 'default', dealstage: 'qualifiedtobuy' },
  ].map((p) => createRecord(ctx, deal, p, SEED_SOURCE));
  deals.forEach((d, i) => {
    addAssociation(ctx, deal, d.id, company, companies[i]!.id, [5], SEED_SOURCE);
    addAssociation(ctx, deal, d.id, contact, contacts[[0, 2, 3][i]!]!.id, [3], SEED_SOURCE);
  });
  const tickets = [
    { subject: 'One-way audio on trunk 3', content: 'Customer reports one-way audio since Monday.', hs_pipeline: '0', hs_pipeline_stage: '1', hs_ticket_priority: 'HIGH' },
    { subject: 'Invoice question', content: 'Clarify porting fee on invoice 2026-02.', hs_pipeline: '0', hs_pipeline_stage: '4', hs_ticket_priority: 'LOW', hs_ticket_category: 'BILLING_ISSUE' },
  ].map((p) => createRecord(ctx, ticket, p, SEED_SOURCE));
  addAssociation(ctx, ticket, tickets[0]!.id, company, companies[0]!.id, [339], SEED_SOURCE);
  addAssociation(ctx, ticket, tickets[0]!.id, contact, contacts[1]!.id, [16], SEED_SOURCE);
  addAssociation(ctx, ticket, tickets[1]!.id, company, companies[1]!.id, [339], SEED_SOURCE);
  const n = createRecord(ctx, note, { hs_timestamp: '2026-01-16T09:00:00.000Z', hs_note_body: 'Kick-off call held; trunk provisioning scheduled.' }, SEED_SOURCE);
  addAssociation(ctx, note, n.id, company, companies[0]!.id, [190], SEED_SOURCE);
}
