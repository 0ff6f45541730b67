import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CfsError } from '../../src/errors.js';
import { compile } from '../../src/wasm/instance.js';

describe('Wasm modules an engine cannot compile', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'cfskit-wasm-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function refusal(bytes: Uint8Array | undefined): CfsError {
    const file = join(dir, `m${Math.random().toString(36).slice(2)}.wasm`);
    if (bytes) writeFileSync(file, bytes);
    try {
      compile(pathToFileURL(file));
    } catch (err) {
      expect(err).to.be.instanceOf(CfsError);
      const e = err as CfsError;
      expect(e.code).to.equal('EWASM');
      expect(e.message).to.not.contain('\n');
      return e;
    }
    throw new Error('compiled');
  }

  it('a module the engine refuses is one EWASM line naming the file, not a stack trace', () => {
    // The Wasm magic and version, then a section id that does not exist.
    const e = refusal(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x7f, 0x00));
    expect(e.message).to.contain('cannot compile the Wasm core');
  });

  it('a missing module says to build', () => {
    expect(refusal(undefined).message).to.contain('npm run build');
  });

  it('our own modules compile', () => {
    for (const name of ['cfskit', 'composefs', 'zstd']) {
      expect(compile(new URL(`../../build/${name}.wasm`, import.meta.url))).to.be.instanceOf(WebAssembly.Module);
    }
  });
});
