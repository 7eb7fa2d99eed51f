/**
 * @module The load tool from a checkout: `bun run bench:load -- --target http://host:port …`
 * (the same as `footfall bench`; see src/loadtest/load-command.ts for the options).
 */
import { loadCommand } from '../src/loadtest/load-command.ts';

process.exit(await loadCommand(process.argv.slice(2), process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
