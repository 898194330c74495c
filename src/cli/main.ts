import { ConfigError, loadConfig } from '../config.js';
import { toError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { type CliCommand, UsageError } from './command.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { provisionCommand } from './commands/provision.js';
import { reconcileCommand } from './commands/reconcile.js';
import { reportCommand } from './commands/report.js';
import { schedulesCommand } from './commands/schedules.js';
import { supportCommand } from './commands/support.js';
import { usageCommand } from './commands/usage.js';

const COMMANDS: readonly CliCommand[] = [keysCommand, migrateCommand, provisionCommand, reconcileCommand, reportCommand, schedulesCommand, supportCommand, usageCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'warp-hubspot command line',
    '',
    'Usage: npm run cli -- <command> [options]     (help: npm run cli -- <command> --help)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Settings come from the environment, as for the service (README.md, "Settings").',
  ].join('\n');
}

/** Exit codes: 0 success, 1 failure, 2 usage error or invalid configuration. */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    const config = loadConfig();
    // Command output goes to stdout; logs (warnings and errors only) to stderr.
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
    await command.run(args, { config, logger, out });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    const err = toError(error);
    process.stderr.write(`${command.name} failed: ${err.message}${err.cause ? ` (${toError(err.cause).message})` : ''}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${toError(error).message}\n`);
    process.exit(1);
  },
);
