import { ConfigError, loadConfig } from './config.js';
import { toError } from './lib/errors.js';
import { createLogger } from './lib/logger.js';
import { createService, webhookTarget } from './service.js';

/**
 * `npm start`: parse config, build the service, listen, and shut down in order on SIGINT/SIGTERM
 * (stop accepting, finish in-flight requests, close the pool, stop the embedded database).
 * Exit codes: 0 after a clean shutdown, 1 when start-up or shutdown fails.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warp-hubspot cannot start. ${error.message}\nSee "Settings" in README.md.\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const service = await createService(config, logger);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting immediately');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.http.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    timer.unref();
    service.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: toError(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  const address = await service.listen();
  logger.info({ address, role: config.role, database: service.db.description, hubspot: service.hubspot.baseUrl }, 'warp-hubspot is ready');
  process.stdout.write(
    `\nwarp-hubspot listening on ${address}\n  role:     ${config.role}\n  database: ${service.db.description}\n  hubspot:  ${service.hubspot.description}\n` +
      (service.hubspot.simulator && config.role !== 'worker' ? `  webhooks: simulator delivers to ${webhookTarget(config, address)}\n` : '') +
      '\n',
  );
}

main().catch((error: unknown) => {
  const err = toError(error);
  process.stderr.write(`warp-hubspot failed to start: ${err.message}${err.cause ? `\n  cause: ${toError(err.cause).message}` : ''}\n`);
  process.exit(1);
});
