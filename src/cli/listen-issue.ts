/** @module host:port → why the server cannot listen there (listenIssue: tried a moment before anything is created), in the operator's words. */

/** Why listening failed, in the operator's words. */
export function listenFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE' ? 'the address is in use'
    : code === 'EACCES' ? 'permission denied'
    : code === 'ENOENT' || code === 'EADDRNOTAVAIL' ? 'not an address of this machine, or a name that does not resolve'
    : (e as Error).message;
}

/**
 * Why the server could not listen on host:port, found by listening there a moment before
 * anything is created, or null.
 */
export function listenIssue(host: string, port: number): string | null {
  try {
    // The very call the server listens with (Bun.listen refuses a bracketed [::1] that it takes);
    // port 0 too, which proves the host.
    Bun.serve({ hostname: host, port, reusePort: false, development: false, fetch: () => new Response(null, { status: 503 }) }).stop(true);
    return null;
  } catch (e) {
    return listenFailure(e);
  }
}
