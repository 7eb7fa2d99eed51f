/** @module Lines an operator must see whatever --log-level → standard error, as text or (with --log-format json) as log objects. */
import type { Config } from '../config.ts';
import { createLogger } from '../lib/log.ts';
import { writeStderr } from '../lib/stderr.ts';

/**
 * Lines an operator must see whatever --log-level (the one-time admin password, a failed listen):
 * as they are, or with --log-format json as JSON objects like every other line.
 */
export function operatorLines(format: Config['logFormat'], level: 'warn' | 'error'): (text: string) => void {
  const json = createLogger('debug', 'json');
  return (text) => {
    for (const line of text.split('\n')) {
      if (!line) continue;
      if (format === 'json') json[level](line.replace(/^footfall: /, ''));
      else writeStderr(line + '\n');
    }
  };
}
