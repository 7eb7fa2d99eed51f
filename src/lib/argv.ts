/** @module Command-line flags → (flag, text) pairs in order, by one set of rules for every command. */

/** What a flag takes: `bool` (`--x`, `--x=false`, `--x false`, `--x no`, `--no-x`) or `value` (`--x v`, `--x=v`). */
export type FlagKind = 'bool' | 'value';

export interface ReadFlags {
  /** Each flag given, in order, with its text (`true`/`false` for a bool given none). */
  flags: { flag: string; text: string }[];
  /** Arguments that are not flags (a subcommand's operands). */
  rest: string[];
  /** An unknown flag, a value missing: one line each. */
  errors: string[];
}

/** A boolean's value as a word of its own. */
export const BOOL_WORD = /^(1|0|true|false|yes|no|on|off)$/i;

/** Reads `argv`; `kindOf` says what a flag name takes, or undefined for none known. */
export function readFlags(argv: readonly string[], kindOf: (flag: string) => FlagKind | undefined): ReadFlags {
  const out: ReadFlags = { flags: [], rest: [], errors: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out.rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let text: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    let kind = kindOf(flag);
    if (!kind && flag.startsWith('no-') && kindOf(flag.slice(3)) === 'bool') {
      if (text !== undefined) {
        out.errors.push(`--${flag}: takes no value (--${flag.slice(3)}=${text} says what to set)`);
        continue;
      }
      flag = flag.slice(3);
      kind = 'bool';
      text = 'false';
    }
    if (!kind) {
      out.errors.push(`--${flag}: unknown option (see --help)`);
      continue;
    }
    if (text === undefined) {
      if (kind === 'bool') {
        const next = argv[i + 1];
        // The words the = form and the environment take too (config.ts): `--trust-proxy yes` is
        // that flag's value, not a stray argument.
        text = next !== undefined && BOOL_WORD.test(next) ? (i++, next) : 'true';
      } else if (i + 1 < argv.length) {
        text = argv[++i]!;
      } else {
        out.errors.push(`--${flag}: needs a value`);
        continue;
      }
    }
    out.flags.push({ flag, text });
  }
  return out;
}
