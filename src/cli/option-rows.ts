/** @module The options as rows → what --help and the README's option table print (optionRows), the range a number takes included. */
import { CONFIG_KEYS, optionMeta, rangeText } from '../config.ts';

/**
 * One row per option: what --help and the README table print, the range a number takes included.
 * `usage` is how --help shows the flag: `--x VALUE`, or `--x` alone for a switch (which takes no
 * value of its own but a true/false word).
 */
export function optionRows(): { flag: string; usage: string; env: string; default: string; help: string }[] {
  return CONFIG_KEYS.map((k) => {
    const m = optionMeta(k);
    const usage = m.kind === 'bool' ? `--${m.flag}` : `--${m.flag} VALUE`;
    return { flag: `--${m.flag}`, usage, env: m.env.join(', '), default: m.shown, help: m.help + rangeText(k) };
  });
}
