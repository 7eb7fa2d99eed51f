/**
 * @module A minimal keep-alive HTTP/1.1 client on Bun.connect for load generation: write the
 * request bytes, parse status line + headers + Content-Length or chunked body, one request in
 * flight per connection (no pipelining). Bun's fetch tops out far below a bare Bun.serve; this
 * does not (see bench/load-generator.ts for the measured ceiling).
 */
import type { Socket } from 'bun';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:[ \t]*chunked/i;

export type OnResponse = (status: number) => void;
/** How a connection was lost: the target closed it (a clean end), a socket error, or an answer that broke HTTP. */
export type LossKind = 'closed' | 'error' | 'protocol';
export type OnError = (err: Error, kind: LossKind) => void;

/** One TCP connection. `send` only after the previous answer arrived (or right after open). */
export class HttpConnection {
  private socket: Socket<HttpConnection> | null = null;
  private pending: Buffer | null = null;
  private unsent: Buffer | null = null;
  private inFlight = false;
  closed = false;

  private constructor(private readonly onResponse: OnResponse, private readonly onError: OnError) {}

  static async open(host: string, port: number, onResponse: OnResponse, onError: OnError): Promise<HttpConnection> {
    const c = new HttpConnection(onResponse, onError);
    c.socket = await Bun.connect<HttpConnection>({
      hostname: host,
      port,
      data: c,
      socket: {
        data: (s, chunk) => s.data.receive(chunk),
        drain: (s) => s.data.flush(),
        close: (s) => s.data.lost(new Error('connection closed by server'), 'closed'),
        error: (s, err) => s.data.lost(err, 'error'),
        // A failed connect is the rejected promise's to report, once (not onError's too).
        connectError: () => {},
      },
    });
    c.socket.setNoDelay(true);
    return c;
  }

  send(request: string | Uint8Array): void {
    if (this.closed) throw new Error('send on a closed connection');
    this.inFlight = true;
    const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
    const n = this.socket!.write(bytes);
    if (n < bytes.length) this.unsent = bytes.subarray(Math.max(0, n));
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
  }

  /** Part of an answer has arrived and the rest not yet. */
  get answering(): boolean {
    return this.pending !== null;
  }

  private flush(): void {
    if (!this.unsent) return;
    const n = this.socket!.write(this.unsent);
    this.unsent = n < this.unsent.length ? this.unsent.subarray(Math.max(0, n)) : null;
  }

  private lost(err: Error, kind: LossKind): void {
    if (this.closed) return;
    this.closed = true;
    this.onError(err, kind);
  }

  private receive(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    const headEnd = buf.indexOf(CRLFCRLF);
    if (headEnd < 0) {
      this.pending = buf;
      return;
    }
    const head = buf.toString('latin1', 0, headEnd);
    const status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    let end = headEnd + 4;
    const cl = CONTENT_LENGTH.exec(head);
    if (cl) {
      end += Number(cl[1]);
    } else if (CHUNKED.test(head)) {
      const e = chunkedEnd(buf, end);
      if (e < 0) {
        this.pending = buf;
        return;
      }
      end = e;
    }
    if (buf.length < end) {
      this.pending = buf;
      return;
    }
    if (buf.length > end) {
      this.lost(new Error(`${buf.length - end} unexpected bytes after a response (no pipelining)`), 'protocol');
      return;
    }
    if (!this.inFlight) {
      this.lost(new Error('a response arrived with no request in flight'), 'protocol');
      return;
    }
    this.inFlight = false;
    this.onResponse(status);
  }
}

/** Offset just past the last chunk (and empty trailer) of a chunked body at `pos`, or -1 if incomplete. */
function chunkedEnd(buf: Buffer, pos: number): number {
  for (;;) {
    const eol = buf.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return -1;
    const size = parseInt(buf.toString('latin1', pos, eol), 16);
    if (Number.isNaN(size)) return -1;
    pos = eol + 2;
    if (size === 0) {
      const t = buf.indexOf('\r\n', pos, 'latin1');
      return t < 0 ? -1 : t + 2;
    }
    pos += size + 2;
    if (pos > buf.length) return -1;
  }
}
