import { pino, type Logger } from 'pino';

import { loggableError } from './errors.js';
import { scrubText, scrubValue } from './redact.js';

/** Longest request path logged; Node lets about 16 KB of URL through. */
const MAX_LOGGED_PATH = 2048;

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

/**
 * JSON logs with PII and secrets removed before serialisation: every logged object goes through
 * `scrubValue` and every message through `scrubText`, so a caller cannot leak an email by
 * accident (docs/product-rules.md "Privacy and safety").
 */
/** The path of a request URL, without its query string. */
export const requestPath = (url: string): string => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'warp-hubspot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Fastify logs `req`/`res` on every request, before routing and authentication: keep only
      // what helps an operator, never headers, and of the URL only the path (query strings carry
      // search terms and personal data), cut short before it is scrubbed.
      // pino runs `formatters.log` before serializers, so these three keys are scrubbed here and
      // passed through untouched there (a deep copy would lose the request's getter properties).
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url === undefined ? undefined : scrubText(requestPath(req.url), MAX_LOGGED_PATH),
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error) => scrubValue(loggableError(pino.stdSerializers.err(err) as unknown as Record<string, unknown>, err)),
      },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => {
          const { req, res, err, ...rest } = object;
          return { ...(scrubValue(rest) as Record<string, unknown>), req, res, err };
        },
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
