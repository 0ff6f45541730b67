import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { KeyFile } from '../../src/formats/keyfile.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { tempDir } from '../sysroot/helpers.js';

describe('sysroot keyfile (GKeyFile)', () => {
  it('prints what ostree writes byte for byte (ostree.md §3.3 pin example)', () => {
    const text = '[origin]\nrefspec=os/stable\n\n[libostree-transient]\npinned=true\n';
    expect(KeyFile.parse(text).toString()).to.equal(text);
    const kf = KeyFile.parse('[origin]\nrefspec=os/stable\n');
    kf.setBoolean('libostree-transient', 'pinned', true);
    expect(kf.toString()).to.equal(text);
  });

  it('parses like GLib: comments dropped, whitespace, CRLF, repeated keys and groups', () => {
    const kf = KeyFile.parse('# c\n\n  [a]  \r\n k = v  \n#x\nk2=\\sx\\ty\\\\\n[b]\nq=1\n[a]\nk=last\n');
    expect(kf.groupNames()).to.deep.equal(['a', 'b']);
    expect(kf.getValue('a', 'k')).to.equal('last');
    expect(kf.getString('a', 'k2')).to.equal(' x\ty\\');
    expect(kf.toString()).to.equal('[a]\nk=v  \nk2=\\sx\\ty\\\\\nk=last\n\n[b]\nq=1\n');
  });

  it('reports bad lines with file and line number', () => {
    expect(() => KeyFile.parse('[a]\nnot a pair\n', 'x.origin')).to.throw(/^x\.origin:2: line 'not a pair' is not a key-value pair/);
    expect(() => KeyFile.parse('k=v\n', 'f')).to.throw(/^f:1: key file does not start with a group/);
    expect(() => KeyFile.parse('[a]\n=v\n', 'f')).to.throw(/^f:2: /);
    expect(() => KeyFile.parse('[]\n', 'f')).to.throw(/^f:1: invalid group name/);
    expect(() => KeyFile.parse('[a]\nk]=v\n', 'f')).to.throw(/^f:2: invalid key name/);
    expect(() => KeyFile.parse(Uint8Array.of(0x5b, 0x61, 0x5d, 0x0a, 0xff), 'f')).to.throw(/not valid UTF-8/);
    expect(() => KeyFile.parse('[a]\nk=\\q\n').getString('a', 'k')).to.throw(/invalid escape/);
    expect(() => KeyFile.parse('[a]\nk=maybe\n').getBoolean('a', 'k')).to.throw(/boolean/);
  });

  it('set/remove follow g_key_file_set_value and remove_key', () => {
    const kf = KeyFile.parse('[a]\nx=1\n');
    kf.setString('a', 'y', ' lead\nline');
    expect(kf.getValue('a', 'y')).to.equal('\\slead\\nline');
    expect(kf.getString('a', 'y')).to.equal(' lead\nline');
    expect(kf.removeKey('a', 'x')).to.equal(true);
    kf.setValue('b', 'z', '2');
    expect(kf.toString()).to.equal('[a]\ny=\\slead\\nline\n\n[b]\nz=2\n');
    expect(() => kf.setValue('a', 'k', 'a\nb')).to.throw(/line break/);
    expect(kf.removeGroup('a')).to.equal(true);
    expect(kf.toString()).to.equal('[b]\nz=2\n');
  });

  describe('GLib oracle: `ostree config set` rewrites a keyfile with g_key_file_to_data', () => {
    const tmp = tempDir();
    after(tmp.remove);
    const group = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/).filter((g) => g !== 'core');
    const key = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,6}$/);
    const value = fc.stringMatching(/^[ -~]{0,12}$/).map((v) => v.replace(/\\/g, '/'));
    const pad = fc.constantFrom('', ' ', '\t', '  ');
    const line = fc.oneof(
      fc.tuple(pad, key, pad, pad, value).map(([a, k, b, c, v]) => `${a}${k}${b}=${c}${v}`),
      fc.constantFrom('', '# comment', '   ', '#'),
    );
    const file = fc.array(fc.tuple(group, fc.array(line, { maxLength: 5 })), { maxLength: 4 }).map((groups) =>
      '[core]\nrepo_version=1\nmode=bare-user-only\n' + groups.map(([g, lines]) => `[${g}]\n${lines.join('\n')}\n`).join(''),
    );

    it('our parse + set + print equals ostree on generated files', function () {
      needCommand(this, 'ostree');
      expect(runPeer('ostree', ['init', `--repo=${tmp.path}/r`, '--mode=bare-user-only']).status).to.equal(0);
      const config = `${tmp.path}/r/config`;
      fc.assert(
        fc.property(file, group, key, value, (text, g, k, v) => {
          writeFileSync(config, text);
          const r = runPeer('ostree', [`--repo=${tmp.path}/r`, 'config', 'set', `${g}.${k}`, v]);
          expect(r.status, r.stderr).to.equal(0);
          const kf = KeyFile.parse(text);
          kf.setString(g, k, v);
          expect(kf.toString()).to.equal(readFileSync(config, 'utf8'));
        }),
        { seed: 6, numRuns: 40 },
      );
    });
  });
});
