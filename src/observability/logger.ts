import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The one root logger: JSON lines on stdout. Event values never reach it; the runtime logs
 * codes, positions and counts only.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'dataprod' },
      // Belt and braces: credentials that could appear in a logged config object are masked.
      redact: { paths: ['*.password', '*.sasl.password', 'password'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
