import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';

export interface CliContext {
  config: Config;
  logger: Logger;
  out: (line: string) => void;
}

/** One CLI command: its name, a help text, and what it does. Exit code 0 unless it throws. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], context: CliContext): Promise<void>;
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
