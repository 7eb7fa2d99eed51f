/**
 * @module The exit statuses of every footfall command, in one place: what a service manager or a
 * script reads from them. 0 = done, 1 = anything else, 2 = bad options, 3 = the database cannot be
 * used, 4 = cannot listen, 5 = data directory in use, 130 = a load run interrupted.
 */

/** Anything else (a flush that could not finish, a failed command): 1. */
export const EXIT_FAILURE = 1;
/** Options that cannot be used (a typo, a value out of range, an unexpected argument): not worth a restart. */
export const EXIT_USAGE = 2;
/** The database cannot be used: written by a newer Footfall, not a database, damaged, not writable. */
export const EXIT_DATABASE = 3;
/** The address cannot be listened on: in use by another process, not this machine's, not allowed. */
export const EXIT_LISTEN = 4;
/** Another `footfall serve` holds the data directory. */
export const EXIT_DATA_DIR_IN_USE = 5;
/** A load run stopped by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const EXIT_INTERRUPTED = 130;
