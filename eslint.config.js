// Lint is part of `npm test`. Type-aware rules catch the mistakes that matter in a sync
// service: promises nobody awaits (lost writes), and switches that miss a case. The import
// boundaries below make the layer rules of docs/architecture.md fail the build when broken.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src/ may import (besides itself and npm packages); docs/architecture.md
 * explains the direction. Folders that do not exist yet are listed so their rules hold from the
 * first file.
 */
const LAYERS = {
  lib: [],
  domain: ['lib'],
  db: ['lib'],
  queue: ['db', 'lib'],
  store: ['db', 'domain', 'lib'],
  hubspot: ['domain', 'lib'],
  jobs: ['queue', 'db', 'domain', 'lib'],
  schedules: ['jobs', 'store', 'db', 'domain', 'lib'],
  warp: ['store', 'queue', 'domain', 'db', 'lib'],
  usage: ['store', 'queue', 'domain', 'db', 'lib'],
  revenue: ['warp', 'store', 'queue', 'domain', 'db', 'lib'],
  sync: ['revenue', 'warp', 'store', 'queue', 'jobs', 'hubspot', 'domain', 'db', 'lib'],
  // db: the pool type the routes hand to the store, and the readiness probe's migration check.
  http: ['revenue', 'warp', 'usage', 'sync', 'schedules', 'store', 'domain', 'db', 'lib'],
  cli: ['revenue', 'warp', 'usage', 'sync', 'schedules', 'store', 'hubspot', 'domain', 'db', 'lib'],
};
// The composition root (main.ts, service.ts, worker.ts) may import anything; nothing imports it.
const ROOT_FILES = ['main.ts', 'service.ts', 'worker.ts'];
const FOLDERS = [...Object.keys(LAYERS), 'simulator'];

const layerZones = Object.entries(LAYERS).map(([layer, allowed]) => ({
  target: `./src/${layer}`,
  from: [...FOLDERS.filter((f) => f !== layer && !allowed.includes(f)).map((f) => `./src/${f}`), ...ROOT_FILES.map((f) => `./src/${f}`)],
  message: `src/${layer} may import only ${allowed.length > 0 ? allowed.map((f) => `src/${f}`).join(', ') : 'npm packages'} (docs/architecture.md "Layers").`,
}));

const boundaryZones = [
  ...layerZones,
  {
    target: './src/simulator',
    from: './src',
    except: ['./simulator', './hubspot/webhook-signature.ts'],
    message: 'The simulator stands in for HubSpot: it imports nothing from the service but hubspot/webhook-signature.ts.',
  },
  {
    target: ['./src/!(main|service|worker|config).ts', './src/!(cli)/**'],
    from: './src/config.ts',
    message: 'Only the composition root (main.ts, service.ts, worker.ts) and cli/ read the configuration; libraries take options.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Handlers and interface implementations are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Fastify handlers are async by design; returning a promise to a void callback is fine there.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, properties: false } }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only src/config.ts reads the environment.' }],
      'import-x/no-restricted-paths': ['error', { zones: boundaryZones }],
    },
  },
  {
    // The config module is the one place that reads process.env; scripts and tests set it for child processes.
    files: ['src/config.ts', 'src/simulator/config.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
