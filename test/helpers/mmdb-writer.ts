/** @module Networks + records into the bytes of a tiny MaxMind DB (v2.0 format), so geo tests need no downloaded database. */

// Format: https://maxmind.github.io/MaxMind-DB/ — search tree (24-bit records), 16 zero bytes,
// data section, then "\xAB\xCD\xEFMaxMind.com" and the metadata map.

export type MmdbValue = string | number | boolean | MmdbValue[] | { [k: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR, IPv4 (`8.8.8.0/24`, stored at `::a.b.c.d` in the IPv6 tree) or IPv6 (`2001:db8::/32`). */
  cidr: string;
  record: { [k: string]: MmdbValue };
}

const EMPTY = -1;

/** Builds an IPv6 database (IPv4 networks live in `::/96`, where readers look them up). */
export function writeMmdb(
  networks: MmdbNetwork[],
  meta: { databaseType: string; buildEpochSeconds: number; recordSize?: 24 | 28 | 32 },
): Uint8Array {
  // Trie of nodes [left, right]; a child is a node index (>= 0), EMPTY, or a data ref (-2 - i).
  const nodes: [number, number][] = [[EMPTY, EMPTY]];
  const records = networks.map((n) => n.record);
  networks.forEach((n, i) => {
    const { bits, len } = cidrBits(n.cidr);
    let node = 0;
    for (let d = 0; d < len; d++) {
      const bit = bits[d]!;
      if (d === len - 1) {
        nodes[node]![bit] = -2 - i;
      } else {
        let next = nodes[node]![bit];
        if (next === undefined || next < 0) {
          next = nodes.push([EMPTY, EMPTY]) - 1;
          nodes[node]![bit] = next;
        }
        node = next;
      }
    }
  });

  const dataChunks = records.map((r) => encode(r));
  const dataOffsets: number[] = [];
  let off = 0;
  for (const c of dataChunks) {
    dataOffsets.push(off);
    off += c.length;
  }
  const n = nodes.length;
  const value = (child: number): number =>
    child === EMPTY ? n : child >= 0 ? child : n + 16 + dataOffsets[-2 - child]!;

  const recordSize = meta.recordSize ?? 24;
  const nodeBytes = recordSize / 4;
  const tree = new Uint8Array(n * nodeBytes);
  nodes.forEach(([l, r], i) => {
    const at = i * nodeBytes;
    const [lv, rv] = [value(l), value(r)];
    if (recordSize === 24) {
      put24(tree, at, lv);
      put24(tree, at + 3, rv);
    } else if (recordSize === 28) {
      // The middle byte holds the top 4 bits of each record: left's high nibble, right's low one.
      put24(tree, at, lv & 0xffffff);
      tree[at + 3] = ((Math.floor(lv / 2 ** 24) & 0x0f) << 4) | (Math.floor(rv / 2 ** 24) & 0x0f);
      put24(tree, at + 4, rv & 0xffffff);
    } else {
      new DataView(tree.buffer).setUint32(at, lv);
      new DataView(tree.buffer).setUint32(at + 4, rv);
    }
  });
  const metadata = encode({
    node_count: n,
    record_size: recordSize,
    ip_version: 6,
    database_type: meta.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: meta.buildEpochSeconds,
    description: { en: 'Footfall test fixture' },
  });
  const marker = new Uint8Array([0xab, 0xcd, 0xef, ...new TextEncoder().encode('MaxMind.com')]);
  return concat([tree, new Uint8Array(16), ...dataChunks, marker, metadata]);
}

function put24(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 16) & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = v & 0xff;
}

function cidrBits(cidr: string): { bits: number[]; len: number } {
  const [addr = '', lenText = ''] = cidr.split('/');
  const bytes = addr.includes(':') ? ipv6Bytes(addr) : [...new Array(12).fill(0), ...addr.split('.').map(Number)];
  const len = Number(lenText) + (addr.includes(':') ? 0 : 96);
  const bits = bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));
  return { bits, len };
}

function ipv6Bytes(addr: string): number[] {
  const [head = '', tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = addr.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

// Control byte: type in the top 3 bits (extended types: 0 there and type-7 in the next byte),
// size in the low 5 bits (29/30/31 = size follows in 1/2/3 bytes).
function header(type: number, size: number): number[] {
  const out: number[] = [];
  const [sizeBits, extra]: [number, number[]] =
    size < 29 ? [size, []]
    : size < 285 ? [29, [size - 29]]
    : size < 65821 ? [30, [(size - 285) >> 8, (size - 285) & 0xff]]
    : [31, [((size - 65821) >> 16) & 0xff, ((size - 65821) >> 8) & 0xff, (size - 65821) & 0xff]];
  if (type <= 7) out.push((type << 5) | sizeBits);
  else out.push(sizeBits, type - 7);
  return [...out, ...extra];
}

function encode(v: MmdbValue): Uint8Array {
  const enc = new TextEncoder();
  const walk = (x: MmdbValue): number[] => {
    if (typeof x === 'string') {
      const b = [...enc.encode(x)];
      return [...header(2, b.length), ...b];
    }
    if (typeof x === 'boolean') return header(14, x ? 1 : 0);
    if (typeof x === 'number') {
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`unsupported number ${x}`);
      const b: number[] = [];
      for (let r = x; r > 0; r = Math.floor(r / 256)) b.unshift(r % 256);
      return [...header(6, b.length), ...b]; // uint32
    }
    if (Array.isArray(x)) return [...header(11, x.length), ...x.flatMap(walk)];
    const entries = Object.entries(x);
    return [...header(7, entries.length), ...entries.flatMap(([k, val]) => [...walk(k), ...walk(val)])];
  };
  return new Uint8Array(walk(v));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
