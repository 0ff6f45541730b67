/** Hand-built tar bytes for tests: exact control over every header field, including wrong ones. */
export interface RawHeader {
  name: string | Buffer;
  /** Typeflag character: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' pax, 'S' sparse… */
  type?: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string | Buffer;
  major?: number;
  minor?: number;
  /** Replaces the computed checksum. */
  checksum?: number;
}

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0';

export function header(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(h.name).copy(b, 0, 0, 100);
  b.write(octal(h.mode ?? 0o644, 8), 100, 'latin1');
  b.write(octal(h.uid ?? 0, 8), 108, 'latin1');
  b.write(octal(h.gid ?? 0, 8), 116, 'latin1');
  b.write(octal(h.size ?? 0, 12), 124, 'latin1');
  b.write(octal(h.mtime ?? 1_600_000_000, 12), 136, 'latin1');
  b.write(h.type ?? '0', 156, 'latin1');
  if (h.linkname) Buffer.from(h.linkname).copy(b, 157, 0, 100);
  b.write('ustar\x0000', 257, 'latin1');
  b.write(octal(h.major ?? 0, 8), 329, 'latin1');
  b.write(octal(h.minor ?? 0, 8), 337, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(octal(h.checksum ?? sum, 7) + ' ', 148, 'latin1');
  return b;
}

const pad = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

/** A header plus its data, padded to the block size. */
export function member(h: RawHeader, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([header({ size: data.length, ...h }), pad(data)]);
}

/** A PAX record `"%d %s=%s\n"` with the right length. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'latin1'), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** A PAX extended header member ('x') with these records. */
export function pax(records: [string, string | Buffer][]): Buffer {
  return member({ name: 'PaxHeaders/x', type: 'x' }, Buffer.concat(records.map(([k, v]) => paxRecord(k, v))));
}

export const END = Buffer.alloc(1024);

export function tarOf(...members: Buffer[]): Buffer {
  return Buffer.concat([...members, END]);
}
