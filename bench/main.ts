// `npm run bench -- NAME [args]`: runs one benchmark. Each prints a readable summary and, as its
// very last line, one JSON object with its figures. Benchmarks are not tests.

const BENCHMARKS: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  'outbound-throughput': () => import('./outbound-throughput.js'),
  'shared-budget': () => import('./shared-budget.js'),
  'outbox-coalescing': () => import('./outbox-coalescing.js'),
  'outbound-e2e': () => import('./outbound-e2e.js'),
  'webhook-ingest': () => import('./webhook-ingest.js'),
  scheduler: () => import('./scheduler.js'),
  'usage-ingest': () => import('./usage-ingest.js'),
  chaos: () => import('./chaos.js'),
  'reconcile-scale': () => import('./reconcile-scale.js'),
  'usage-sync': () => import('./usage-sync.js'),
  'auto-tickets': () => import('./auto-tickets.js'),
  'month-close': () => import('./month-close.js'),
  dashboard: () => import('./dashboard.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? BENCHMARKS[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <name> [args]\nbenchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n`);
  process.exit(2);
}
await (await load()).run(args);
