/**
 * CLI entry: `npm run sim -- --port 4010`. Starts the simulator with the control API on and the
 * demo portal seeded (unless --no-seed), optionally configures a webhook target, and shuts down
 * cleanly on SIGINT/SIGTERM.
 */
import { HELP, parseSimulatorConfig } from './config.js';
import { startSimulator } from './server.js';

async function main(): Promise<void> {
  const cfg = parseSimulatorConfig(process.argv.slice(2));
  if (cfg === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const sim = await startSimulator(cfg.options);
  if (cfg.webhookUrl) sim.configureWebhooks(cfg.webhookUrl, cfg.webhookSubscriptions.length > 0 ? cfg.webhookSubscriptions : undefined);
  const o = sim.options;
  process.stdout.write(
    `HubSpot simulator listening on ${sim.url}\n` +
      `  portalId=${o.portalId} appId=${o.appId} burst=${o.burstLimit}/${o.burstWindowMs}ms daily=${o.dailyLimit} search=${o.searchPerSecond}/s timeScale=${o.timeScale}\n` +
      `  seedDemo=${o.seedDemo} controlApi=${o.enableControlApi} stateFile=${o.stateFile ?? '(memory)'} webhooks=${cfg.webhookUrl ?? '(not configured)'}\n` +
      `  use: new Client({ accessToken: 'any-token', basePath: '${sim.url}' })\n`,
  );
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`received ${signal}, shutting down\n`);
    sim.close().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`error during shutdown: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
