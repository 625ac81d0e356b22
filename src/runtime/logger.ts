/** pino loggers that never print secrets: credentials, tokens and Secret data are censored by path. */
import { pino } from 'pino';
import type { Logger, DestinationStream, Level } from 'pino';

export type { Logger };

export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'secret',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.apiKey',
  '*.clientKey',
  '*.privateKey',
  'object.data',
  'object.stringData',
  '*.data',
  '*.stringData',
];

export interface LoggerOptions {
  level?: Level;
  /** Defaults to stdout; tests pass a stream to capture lines. */
  destination?: DestinationStream;
  base?: Record<string, string>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that writes nowhere (for library users who pass none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const SECRET_IN_TEXT = /\b(password|passwd|token|secret|api[_-]?key|authorization|x-auth-token)(["']?\s*[=:]\s*["']?)(bearer\s+)?[^\s"',;&]+/gi;
const BEARER_IN_TEXT = /\bBearer\s+[A-Za-z0-9._~+/=-]+/g;

/** Scrubs credential-looking values from free text (error messages) before it is logged or published. */
export function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, '$1$2[REDACTED]').replace(BEARER_IN_TEXT, 'Bearer [REDACTED]');
}
