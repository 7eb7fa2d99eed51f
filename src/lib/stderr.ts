/**
 * @module writeStderr(text): standard error as a server may use it. The log's reader can go away
 * (a closed terminal, a log collector that died, a full disk under a redirected log), and a
 * write then fails: thrown at once, or reported later as the stream's 'error' event, which
 * unhandled ended the process on the spot, the events acknowledged in its write buffer lost with
 * it, and no line to say so. A line that cannot be written is dropped; the server goes on, and
 * stops as it would have (flushing what it holds) when told to.
 */
let guarded = false;

export function writeStderr(text: string): void {
  if (!guarded) {
    guarded = true;
    process.stderr.on('error', () => {});
  }
  try {
    process.stderr.write(text);
  } catch {
    // The line is lost; the events are not.
  }
}
