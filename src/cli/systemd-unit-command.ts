/** @module `footfall systemd-unit [options]` → the unit file on standard output, or every reason the service could not start with these options. */
import { resolve } from 'node:path';
import { optionName, shadowedEnvNames, unknownEnvNames } from '../config.ts';
import { drainDeadlineMs } from '../buffer/write-buffer.ts';
import { openGeoDb } from '../ingest/geo.ts';
import { badOptions, configOrExit } from './config-or-exit.ts';
import { EXIT_USAGE } from './exit-codes.ts';
import { systemdUnit, unitArgs, unitCannotRead, unitCannotRun } from './systemd-unit.ts';

/** The unit for these options (written with `io.out`), naming the binary at `execPath`. */
export function systemdUnitCommand(args: string[], env: Record<string, string | undefined>, io: { out(s: string): void; err(s: string): void }, execPath: string): number {
  const config = configOrExit(args, env, undefined, io.err);
  if (!config) return EXIT_USAGE;
  // The unit carries the options the environment gives as flags: a misspelt name would be lost quietly.
  for (const name of unknownEnvNames(env)) io.err(`footfall: ${name} ignored: no option has this name (see footfall --help)\n`);
  for (const { used, ignored } of shadowedEnvNames(env, args)) io.err(`footfall: ${ignored} ignored: ${used} sets the same option to another value, and comes first\n`);
  const unit = unitArgs(args, env);
  const binaryPath = resolve(execPath);
  // What serve would refuse at start, the service would be restarted on for ever: said now.
  const geo = config.geoipDb ? openGeoDb(config.geoipDb, optionName(config, 'geoipDb')) : null;
  const problems = [
    'error' in unit ? unit.error : null,
    config.geoipDb ? unitCannotRead(optionName(config, 'geoipDb'), config.geoipDb) : null,
    typeof geo === 'string' ? geo : null,
    unitCannotRun(binaryPath),
  ].filter((p): p is string => p !== null);
  if ('error' in unit || problems.length) {
    badOptions(problems, '(see footfall --help)\n', io.err);
    return EXIT_USAGE;
  }
  // What a stop may take: 2 s for the answers in flight, the drain, and a margin; systemd kills
  // the service past it.
  const stopTimeoutS = Math.ceil(drainDeadlineMs(config.bufferMax) / 1000) + 10;
  io.out(systemdUnit({ binaryPath, args: unit.args, stateDirectory: unit.stateDirectory, stopTimeoutS, port: config.port }));
  return 0;
}
