/** @module argv and env → the config, or every problem with them reported at once on standard error (configOrExit, badOptions). */
import { loadConfig, quoted, type Config } from '../config.ts';
import { writeStderr } from '../lib/stderr.ts';

/**
 * argv and env → the config, or null once every problem is reported: the options', stray
 * arguments, and those `more` finds in what could be read (all at once, not one fix at a time).
 */
/** `more`: the caller's own checks, told how many problems the options already have. */
export function configOrExit(
  args: string[],
  env: Record<string, string | undefined>,
  more: (config: Config, others: number) => (string | null)[] = () => [],
  write: (text: string) => void = writeStderr,
): Config | null {
  const r = loadConfig(args, env);
  const found = [...(r.ok ? [] : r.errors), ...r.rest.map((a) => `unexpected argument ${quoted(a)}`)];
  const problems = [...found, ...more(r.config, found.length).filter((p) => p !== null)];
  if (problems.length === 0) return r.config;
  badOptions(problems, '(see footfall --help)\n', write);
  return null;
}

export const prefixed = (head: string, problem: string | null): string | null => (problem === null ? null : head + problem);

/** Reports options that cannot be used (exit EXIT_USAGE follows), one problem a line. */
export function badOptions(problems: string[], hint = '', write: (text: string) => void = writeStderr): void {
  write(`footfall: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${hint}`);
}
