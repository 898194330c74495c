import { parseArgs } from 'node:util';

import { API_KEY_SCOPES, type ApiKey, type ApiKeyScope, createApiKey, listApiKeys, revokeApiKey } from '../../store/api-keys.js';
import { type CliCommand, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- keys create --name NAME --scopes read,write[,admin]
  npm run cli -- keys list [--all]
  npm run cli -- keys revoke ID_OR_NAME

Scopes: read (GET routes), write (changes), admin (everything, incl. key management).
The key is printed once at creation; only its hash is stored.`;

function parseScopes(value: string | undefined): ApiKeyScope[] {
  if (!value) throw new UsageError('--scopes is required, e.g. --scopes read,write');
  const scopes = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new UsageError(`Unknown scope(s): ${unknown.join(', ') || '(none)'}; choose from ${API_KEY_SCOPES.join(', ')}`);
  }
  return scopes as ApiKeyScope[];
}

const describeKey = (k: ApiKey): string =>
  `${k.id.padStart(4)}  ${k.name.padEnd(24)} ${k.prefix}…  ${k.scopes.join(',').padEnd(16)} created ${k.createdAt.toISOString()}` +
  `  last used ${k.lastUsedAt?.toISOString() ?? 'never'}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`;

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'Create, list and revoke API keys',
  usage: USAGE,
  async run(args, context) {
    const [action, ...rest] = args;
    switch (action) {
      case 'create': {
        const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, scopes: { type: 'string' } }, strict: true });
        if (!values.name?.trim()) throw new UsageError('--name is required');
        const scopes = parseScopes(values.scopes);
        const name = values.name.trim();
        const { key, apiKey } = await withDb(context, (db) => createApiKey(db.pool, name, scopes));
        context.out(`Created API key ${apiKey.id} "${apiKey.name}" with scopes ${apiKey.scopes.join(',')}.`);
        context.out(`Key (shown once, store it now): ${key}`);
        return;
      }
      case 'list': {
        const { values } = parseArgs({ args: rest, options: { all: { type: 'boolean', default: false } }, strict: true });
        const keys = (await withDb(context, (db) => listApiKeys(db.pool, values.all))).items;
        if (keys.length === 0) context.out('No API keys. Create one with: npm run cli -- keys create --name NAME --scopes read');
        for (const k of keys) context.out(describeKey(k));
        return;
      }
      case 'revoke': {
        const target = rest[0];
        if (!target || rest.length > 1) throw new UsageError('Give exactly one key id or name');
        const revoked = await withDb(context, (db) => revokeApiKey(db.pool, target));
        if (!revoked) throw new UsageError(`No active key with id or name "${target}"`);
        context.out(`Revoked API key ${revoked.id} "${revoked.name}".`);
        return;
      }
      case undefined:
      default:
        throw new UsageError(action ? `Unknown keys action "${action}"` : 'Missing keys action');
    }
  },
};
