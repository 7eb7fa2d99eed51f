/** @module Test helper: one HTTP/1.1 request written byte for byte to a socket (headers no client library would send as given). */

/** Sends one raw HTTP/1.1 request (each character of `head` one byte) and returns the answer's status line and headers. */
export function rawRequest(port: number, head: string): Promise<string> {
  const bytes = Uint8Array.from(head, (c) => c.charCodeAt(0));
  return new Promise((resolve, reject) => {
    let answer = '';
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open: (s) => void s.write(bytes),
        data: (s, chunk) => {
          answer += new TextDecoder('latin1').decode(chunk);
          if (answer.includes('\r\n\r\n')) (resolve(answer.slice(0, answer.indexOf('\r\n\r\n'))), s.end());
        },
        error: (_, e) => reject(e),
        close: () => resolve(answer),
      },
    }).catch(reject);
  });
}
