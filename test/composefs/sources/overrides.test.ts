/** Overrides (`--overrides=FILE`): dumpfile lines that replace mode/owner/mtime/xattrs of source entries. */
import { expect } from 'chai';
import { CfsError } from '../../../src/errors.js';
import { applyOverrides } from '../../../src/composefs/sources/overrides.js';
import { Node, S_IFDIR, S_IFLNK, S_IFREG } from '../../../src/tree/tree.js';

function tree(): Node {
  const root = new Node(new Uint8Array(0), S_IFDIR | 0o755);
  const usr = new Node(Buffer.from('usr'), S_IFDIR | 0o755);
  root.addChild(usr);
  const ping = new Node(Buffer.from('ping'), S_IFREG | 0o755);
  ping.uid = 1000;
  ping.gid = 1000;
  usr.addChild(ping);
  const alias = new Node(Buffer.from('ping-alias'), S_IFREG);
  alias.linkTo = ping;
  usr.addChild(alias);
  root.addChild(Object.assign(new Node(Buffer.from('sl'), S_IFLNK | 0o777), { payload: Buffer.from('usr') }));
  return root;
}

const apply = (root: Node, text: string): void => applyOverrides(root, Buffer.from(text), 'ov.dump');

function fails(text: string): CfsError {
  try {
    apply(tree(), text);
  } catch (err) {
    expect(err).to.be.instanceOf(CfsError);
    return err as CfsError;
  }
  throw new Error('expected a failure');
}

describe('sources: overrides', () => {
  it('replaces mode bits, owner, mtime and sets xattrs; `-` keeps what the source saw', () => {
    const root = tree();
    apply(root, [
      '# comment',
      '',
      '/usr/ping 123 4755 9 0 0 5 1700000000.5 some/payload - - security.capability=\\x01\\x00\\x00\\x02 user.a=b',
      '/ - - - 10 - - - - - -',
      '/usr - 40700',
    ].join('\n'));
    const ping = root.lookup(Buffer.from('usr'))!.lookup(Buffer.from('ping'))!;
    expect([ping.mode, ping.uid, ping.gid, ping.mtimeSec, ping.mtimeNsec]).to.deep.equal([S_IFREG | 0o4755, 0, 0, 1700000000n, 5]);
    expect(ping.payload).to.equal(null);
    expect(ping.xattrs.map((x) => [Buffer.from(x.key).toString(), Buffer.from(x.value).toString('hex')])).to.deep.equal([
      ['security.capability', '01000002'],
      ['user.a', '62'],
    ]);
    expect([root.uid, root.gid, root.mode]).to.deep.equal([10, 0, S_IFDIR | 0o755]);
    expect(root.lookup(Buffer.from('usr'))!.mode).to.equal(S_IFDIR | 0o700);
  });

  it('an override of a hard link alias applies to the shared inode; later lines win', () => {
    const root = tree();
    apply(root, '/usr/ping-alias - 700 - 5 6\n/usr//ping - - - 7\n');
    const ping = root.lookup(Buffer.from('usr'))!.lookup(Buffer.from('ping'))!;
    expect([ping.mode, ping.uid, ping.gid]).to.deep.equal([S_IFREG | 0o700, 7, 6]);
  });

  it('splits lines as the dumpfile parser does: a space after the xattrs is ignored, an empty fixed field is present', () => {
    const root = tree();
    apply(root, '/usr/ping - - - 3 - - - - - - user.a=1 \n/usr - 700 - 4\n');
    const usr = root.lookup(Buffer.from('usr'))!;
    const ping = usr.lookup(Buffer.from('ping'))!;
    expect([ping.uid, ping.xattrs.length, usr.mode, usr.uid]).to.deep.equal([3, 1, S_IFDIR | 0o700, 4]);
    expect(fails('/usr - 700 - 4 \n').message).to.match(/GID: Invalid integer $/);
    expect(fails('/sl - - - - - - - - - - user.a=1  user.b=2\n').message).to.match(/XATTR: Missing = in xattr/);
  });

  it('refuses unknown paths, type changes, bad integers, bad escapes and xattrs without =, naming the line', () => {
    const cases: [string, RegExp, number, string][] = [
      ['/nope - 644\n', /no such entry in the source: \/nope/, 1, 'PATH'],
      ['# x\n/usr/ping - 40755\n', /changes the entry's file type/, 2, 'MODE'],
      ['/usr/ping - 9z\n', /Invalid integer 9z/, 1, 'MODE'],
      ['/sl - - - abc\n', /Invalid integer abc/, 1, 'UID'],
      ['/sl - - - - - - 12\n', /Invalid mtime 12/, 1, 'MTIME'],
      ['/s\\q\n', /Unsupported escape type q/, 1, 'PATH'],
      ['/sl - - - - - - - - - - novalue\n', /Missing = in xattr/, 1, 'XATTR'],
      ['/sl/x - 644\n', /no such entry/, 1, 'PATH'],
      ['usr - 644\n', /no such entry/, 1, 'PATH'],
    ];
    for (const [text, message, line, field] of cases) {
      const e = fails(text);
      expect(e.message, text).to.match(message);
      expect([e.file, e.line, e.field, e.code], text).to.deep.equal(['ov.dump', line, field, 'EOVERRIDE']);
    }
  });
});
