/**
 * The dumpfile parser: fields, escapes, hardlinks, and every check of composefs-image.md §3.5 with C's exact
 * message, in C's order, in strict and non-strict mode; the should-fail assets (composefs-image.md §3.8); the
 * streaming parser against the in-memory one.
 */
import { expect } from 'chai';
import { parseDump, parseDumpStream } from '../../src/composefs/dumpfile/parse.js';
import { Node, S_IFLNK } from '../../src/tree/tree.js';
import { CfsError } from '../../src/errors.js';
import { shouldFailAssets, upstreamAssets } from './vectors.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ROOT = '/ 4096 40755 2 0 0 0 0.0 - - -\n';

function parse(text: string | Uint8Array, strict = true): Node {
  return parseDump(typeof text === 'string' ? enc.encode(text) : text, { strict, file: 'test.dump' });
}

function parseError(text: string | Uint8Array, strict = true): CfsError {
  try {
    parse(text, strict);
  } catch (e) {
    if (e instanceof CfsError) return e;
    throw e;
  }
  throw new Error('expected a CfsError');
}

function child(root: Node, ...names: string[]): Node {
  let n: Node | undefined = root;
  for (const name of names) n = n?.lookup(enc.encode(name));
  if (!n) throw new Error(`no ${names.join('/')}`);
  return n;
}

describe('dumpfile parser: fields (composefs-image.md §3.1-§3.4)', () => {
  it('reads every fixed field and xattrs', () => {
    const root = parse(`${ROOT}/f 5 100644 3 1000 2000 0 1700000000.123 ab/cd hello ${'0f'.repeat(32)} user.a=1 trusted.b=x\\x3dy\n`);
    const f = child(root, 'f');
    expect(f.size).to.equal(5n);
    expect(f.mode).to.equal(0o100644);
    expect([f.nlink, f.uid, f.gid, f.rdev]).to.deep.equal([3, 1000, 2000, 0]);
    expect([f.mtimeSec, f.mtimeNsec]).to.deep.equal([1700000000n, 123]);
    expect(dec.decode(f.payload!)).to.equal('ab/cd');
    expect(dec.decode(f.content!)).to.equal('hello');
    expect(f.digest).to.deep.equal(new Uint8Array(32).fill(0x0f));
    expect(f.xattrs.map((x) => `${dec.decode(x.key)}=${dec.decode(x.value)}`)).to.deep.equal(['user.a=1', 'trusted.b=x=y']);
  });

  it('unescapes \\\\ \\n \\r \\t \\xHH and keeps other bytes literal', () => {
    const root = parse(`${ROOT}/a\\x20b\\\\c 4 100644 1 0 0 0 0.0 - \\n\\r\\t\\xFF -\n/\\xc3\\xa9=\\xff 0 100644 1 0 0 0 0.0 - - -\n`);
    const a = child(root, 'a b\\c');
    expect([...a.content!]).to.deep.equal([0x0a, 0x0d, 0x09, 0xff]);
    expect([...root.children![1].name]).to.deep.equal([0xc3, 0xa9, 0x3d, 0xff]);
  });

  it('"-" is absent, an empty field is an empty value, \\x2d is a literal dash', () => {
    const root = parse(`${ROOT}/e 0 100644 1 0 0 0 0.0  \\x2d -\n`.replace('0.0  \\x2d', '0.0 \\x2d '));
    const e = child(root, 'e');
    expect(dec.decode(e.payload!)).to.equal('-');
    expect(e.content).to.deep.equal(new Uint8Array(0));
    expect(e.digest).to.equal(null);
  });

  it('mtime: negative seconds wrap to signed, nanoseconds are not range-checked', () => {
    const root = parse(`${ROOT}/m 0 100644 1 0 0 0 -5.1000000000 - - -\n`);
    expect([child(root, 'm').mtimeSec, child(root, 'm').mtimeNsec]).to.deep.equal([-5n, 1000000000]);
  });

  it('mode keeps bits above 16, uid/gid/rdev are truncated to 32 bits', () => {
    const root = parse(`${ROOT}/d 0 20720777 1 4294967297 4294967298 4294967299 0.0 x - -\n`, false);
    const d = child(root, 'd');
    expect(d.mode).to.equal(0o20720777);
    expect([d.uid, d.gid]).to.deep.equal([1, 2]);
  });

  it('symlink size becomes the target length (non-strict)', () => {
    const l = child(parse(`${ROOT}/l 99 120777 1 0 0 0 0.0 target - -\n`, false), 'l');
    expect(l.mode & 0o170000).to.equal(S_IFLNK);
    expect(l.size).to.equal(6n);
  });

  it('a repeated xattr key replaces the earlier value; an embedded NUL ends a key', () => {
    const f = child(parse(`${ROOT}/f 0 100644 1 0 0 0 0.0 - - - user.a=1 user.a=22 user.b\\x00junk=v\n`), 'f');
    expect(f.xattrs.map((x) => `${dec.decode(x.key)}=${dec.decode(x.value)}`)).to.deep.equal(['user.a=22', 'user.b=v']);
  });

  it('hardlinks resolve after the whole file, in any order, aliases ignore other fields', () => {
    const root = parse(`${ROOT}/l1 - @100644 - - - - - /f - -\n/f 3 100644 2 0 0 0 0.0 - abc -\n/l2 x @100644 x x x x x //f x x\n`);
    expect(child(root, 'l1').linkTo).to.equal(child(root, 'f'));
    expect(child(root, 'l2').linkTo).to.equal(child(root, 'f'));
  });

  it('non-root paths without a leading slash and repeated slashes walk from the root', () => {
    const root = parse(`${ROOT}/d 4096 40755 2 0 0 0 0.0 - - -\nd//x 0 100644 1 0 0 0 0.0 - - -\n`);
    expect(child(root, 'd', 'x').mode).to.equal(0o100644);
  });

  it('GID and RDEV errors are ignored unless UID is 0 (C quirk)', () => {
    const f = child(parse(`${ROOT}/f 0 100644 1 5 bad bad 0.0 - - -\n`), 'f');
    expect([f.gid, f.rdev]).to.deep.equal([0, 0]);
    expect(parseError(`${ROOT}/f 0 100644 1 0 bad 0 0.0 - - -\n`).reason).to.equal('Invalid integer bad');
  });

  it('integers follow strtoull: leading blanks and a sign are accepted', () => {
    const f = child(parse(`${ROOT}/f +7 100644 \t1 -1 0 0 0.0 - - -\n`.replace('+7', '0').replace('\t1', '1')), 'f');
    expect(f.uid).to.equal(0xffffffff);
  });

  it('the streaming parser equals the in-memory one for every chunking', async () => {
    const text = enc.encode(`${ROOT}/a 3 100644 1 0 0 0 0.0 - x\\x20y - user.k=v\n/b 1 120777 1 0 0 0 0.0 a - -`);
    const want = parse(text, false);
    for (let size = 1; size <= 8; size++) {
      async function* chunks() {
        for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
      }
      const got = await parseDumpStream(chunks(), { strict: false });
      expect(got.children!.map((c) => dec.decode(c.name))).to.deep.equal(want.children!.map((c) => dec.decode(c.name)));
      expect(child(got, 'a').content).to.deep.equal(child(want, 'a').content);
      expect(child(got, 'b').payload).to.deep.equal(enc.encode('a'));
    }
  });

  it('parses every upstream asset with a dump', () => {
    for (const a of upstreamAssets()) expect(parse(a.dump, a.strict).children, a.name).to.be.an('array');
  });
});

describe('dumpfile parser: errors in C order with C messages (composefs-image.md §3.5)', () => {
  const cases: [string, string, string, number, string?][] = [
    // [title, input, message, line, field]
    ['embedded NUL', `${ROOT}/a\0b 0 100644 1 0 0 0 0.0 - - -\n`, 'Invalid embedded NUL character at position 2', 2],
    ['NUL beats a bad escape', `${ROOT}/\\q 0 100644 1 0 0 0 0.0 - - - a=\0\n`, 'Invalid embedded NUL character at position 33', 2],
    ['empty line', `${ROOT}\n`, 'Invalid empty path', 2, 'PATH'],
    ['bad escape', `${ROOT}/\\q 0 100644 1 0 0 0 0.0 - - -\n`, 'Unsupported escape type q', 2, 'PATH'],
    ['escape at the end', `${ROOT}/a\\ 0 100644 1 0 0 0 0.0 - - -\n`, 'No character after escape', 2, 'PATH'],
    ['short hex escape', `${ROOT}/a\\x4 0 100644 1 0 0 0 0.0 - - -\n`, 'No hex characters after hex escape', 2, 'PATH'],
    ['bad hex escape', `${ROOT}/a\\xg0 0 100644 1 0 0 0 0.0 - - -\n`, 'Invalid hex characters after hex escape', 2, 'PATH'],
    ['mode not octal', `${ROOT}/a 0 100648 1 0 0 0 0.0 - - -\n`, 'Invalid integer 100648', 2, 'MODE'],
    ['mode without type', `${ROOT}/a 0 644 1 0 0 0 0.0 - - -\n`, 'Invalid mode 644', 2, 'MODE'],
    ['root not a directory', '/ 0 100644 1 0 0 0 0.0 - - -\n', 'Root must be a directory', 1, 'MODE'],
    ['two roots', `${ROOT}${ROOT}`, "Can't have multiple roots", 2, 'PATH'],
    ['no root', '/a 0 100644 1 0 0 0 0.0 - - -\n', 'Root node not present', 1, 'PATH'],
    ['missing parent', `${ROOT}/x/a 0 100644 1 0 0 0 0.0 - - -\n`, 'Parent directory missing for /x/a', 2, 'PATH'],
    ['parent not a directory', `${ROOT}/f 0 100644 1 0 0 0 0.0 - - -\n/f/a 0 100644 1 0 0 0 0.0 - - -\n`, 'Parent must be a directory for /f/a', 3, 'PATH'],
    ['dot name', `${ROOT}/. 0 100644 1 0 0 0 0.0 - - -\n`, 'Invalid . or .. in path: /.', 2, 'PATH'],
    ['trailing slash', `${ROOT}/d 0 40755 1 0 0 0 0.0 - - -\n/d/ 0 100644 1 0 0 0 0.0 - - -\n`, "Can't add child", 3, 'PATH'],
    ['name too long', `${ROOT}/${'n'.repeat(256)} 0 100644 1 0 0 0 0.0 - - -\n`, "Can't add child", 2, 'PATH'],
    ['duplicate', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n`, "Can't add child", 3, 'PATH'],
    ['directory hardlink', `${ROOT}/a 0 @40755 1 0 0 0 0.0 / - -\n`, "Directories can't be hardlinked", 2, 'MODE'],
    ['bad size', `${ROOT}/a x 100644 1 0 0 0 0.0 - - -\n`, 'Invalid integer x', 2, 'SIZE'],
    ['bad nlink', `${ROOT}/a 0 100644 1x 0 0 0 0.0 - - -\n`, 'Invalid integer 1x', 2, 'NLINK'],
    ['bad uid', `${ROOT}/a 0 100644 1 - 0 0 0.0 - - -\n`, 'Invalid integer -', 2, 'UID'],
    ['bad mtime seconds', `${ROOT}/a 0 100644 1 0 0 0 x.0 - - -\n`, 'Invalid integer x', 2, 'MTIME'],
    ['mtime without dot', `${ROOT}/a 0 100644 1 0 0 0 5 - - -\n`, 'Invalid integer ', 2, 'MTIME'],
    ['short line', `${ROOT}/a 0 100644\n`, 'Invalid integer ', 2, 'NLINK'],
    ['bad payload escape', `${ROOT}/a 0 100644 1 0 0 0 0.0 \\z - -\n`, 'Unsupported escape type z', 2, 'PAYLOAD'],
    ['content size', `${ROOT}/a 4 100644 1 0 0 0 0.0 - abc -\n`, 'Invalid content size 3, must match size 4', 2, 'CONTENT'],
    ['symlink without target', `${ROOT}/l 0 120777 1 0 0 0 0.0 - - -\n`, 'Invalid symlink', 2, 'PAYLOAD'],
    ['long payload', `${ROOT}/a 0 100644 1 0 0 0 0.0 ${'p'.repeat(4096)} - -\n`, 'Invalid payload', 2, 'PAYLOAD'],
    ['big content', `${ROOT}/a 5001 100644 1 0 0 0 0.0 - ${'c'.repeat(5001)} -\n`, 'Inline content size 5001 exceeds maximum 5000', 2, 'CONTENT'],
    ['too many xattrs', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - - user.a=${'v'.repeat(65530)}\n`, 'Too many xattrs', 2],
    ['xattr without =', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - - user.a\n`, 'Missing = in xattr', 2],
    ['two trailing spaces', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - -  \n`, 'Missing = in xattr', 2],
    ['empty xattr key', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - - =v\n`, "Can't set xattr", 2],
    ['xattr budget', `${ROOT}/a 0 100644 1 0 0 0 0.0 - - - user.a=${'v'.repeat(20000)} user.b=${'v'.repeat(20000)}\n`, "Can't set xattr", 2],
    ['no target path', `${ROOT}/a 0 @100644 1 0 0 0 0.0 - - -\n`, 'No target path for the hardlink', 2, 'PAYLOAD'],
    ['unknown target', `${ROOT}/a 0 @100644 1 0 0 0 0.0 /nope - -\n`, 'No target at /nope for hardlink', 2, 'PAYLOAD'],
    ['self hardlink', `${ROOT}/a 0 @100644 1 0 0 0 0.0 /a - -\n`, 'Self-referential hardlink /a', 2, 'PAYLOAD'],
    ['last alias line fails first', `${ROOT}/a 0 @100644 1 0 0 0 0.0 /x - -\n/b 0 @100644 1 0 0 0 0.0 /y - -\n`, 'No target at /y for hardlink', 3, 'PAYLOAD'],
  ];
  for (const [title, input, message, line, field] of cases) {
    it(`${title}: ${message}`, () => {
      for (const strict of [false, true]) {
        const e = parseError(input, strict);
        expect(e.reason).to.equal(message);
        expect(e.line).to.equal(line);
        expect(e.file).to.equal('test.dump');
        if (field) expect(e.field).to.equal(field);
        expect(e.message).to.contain(`test.dump:${line}`);
      }
    });
  }

  it('empty input: "No files in dump file"', () => {
    expect(parseError('', false).reason).to.equal('No files in dump file');
    expect(parseError('', true).reason).to.equal('No files in dump file');
  });

  it('strict mode adds exactly four checks (composefs-image.md §3.6)', () => {
    const checks: [string, string][] = [
      [`${ROOT}/a 0 100644 1 0 0 0 0.0 - - -`, 'Missing trailing newline'],
      [`${ROOT}/a 0 100644 1 0 0 7 0.0 - - -\n`, 'Non-zero devnum on non-device'],
      [`${ROOT}/l 5 120777 1 0 0 0 0.0 target - -\n`, 'Invalid symlink size 6, must match size 5'],
      [`${ROOT}/l 6 120777 1 0 0 0 0.0 target abcdef -\n`, 'Symlink cannot have content'],
    ];
    for (const [input, message] of checks) {
      expect(parseError(input, true).reason).to.equal(message);
      expect(parse(input, false).children).to.have.length(1);
    }
  });
});

describe('dumpfile parser: should-fail assets (composefs-image.md §3.8)', () => {
  const parseMessages: Record<string, [string, string]> = {
    'should-fail-big-inline.dump': ['Inline content size 5004 exceeds maximum 5000', 'Missing trailing newline'],
    'should-fail-dir-hardlink.dump': ["Directories can't be hardlinked", "Directories can't be hardlinked"],
    'should-fail-dot-name.dump': ['Invalid . or .. in path: /.', 'Invalid . or .. in path: /.'],
    'should-fail-dotdot-name.dump': ['Invalid . or .. in path: /..', 'Invalid . or .. in path: /..'],
    'should-fail-empty-link-name.dump': ['Invalid symlink', 'Invalid symlink'],
    'should-fail-empty-name.dump': ["Can't add child", "Can't add child"],
    'should-fail-empty-xattr-key.dump': ["Can't set xattr", "Can't set xattr"],
    'should-fail-honggfuzz-long-xattr.dump': ["Can't set xattr", 'Missing trailing newline'],
    'should-fail-long-link.dump': ['Invalid symlink', 'Invalid symlink'],
    'should-fail-long-xattr-key.dump': ['Too many xattrs', 'Too many xattrs'],
    'should-fail-long-xattr-value.dump': ['Invalid mode 644', 'Invalid mode 644'],
    'should-fail-no-ftype.dump': ['Invalid mode 0', 'Invalid mode 0'],
    'should-fail-self-hardlink.dump': ['Self-referential hardlink /037blockdev', 'Missing trailing newline'],
  };
  for (const a of shouldFailAssets()) {
    it(a.name, () => {
      const messages = parseMessages[a.name];
      if (!messages) {
        // should-fail-too-big.dump parses; the writer refuses it (EFBIG).
        expect(a.name).to.equal('should-fail-too-big.dump');
        expect(parse(a.dump, true).children).to.have.length(1);
        return;
      }
      expect(parseError(a.dump, false).reason, 'non-strict').to.equal(messages[0]);
      expect(parseError(a.dump, true).reason, 'strict').to.equal(messages[1]);
    });
  }
});
