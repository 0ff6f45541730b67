/**
 * The store's syncOnce mode (the pull): one filesystem sync per batch before any object of it is
 * renamed into place, an fsync per object where that sync fails, and a failure at every write
 * step leaves no object under its final name that is not its digest's content.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestBytes } from '../../src/fsverity/index.js';
import { type Fs, nodeFs, syncFilesystem } from '../../src/io/fs.js';
import { ObjectStore, objectPath } from '../../src/store/objects.js';
import { contentOf } from '../composefs/sources/fixtures.js';
import { InjectedFault, faultyFs } from '../sysroot/faulty-fs.js';

/** An Fs that performs every call and records fsync, syncfs, open and rename in order. */
function recordingFs(): Fs & { calls: string[] } {
  const calls: string[] = [];
  const f = { ...nodeFs, calls } as Fs & { calls: string[] };
  for (const name of ['fsync', 'syncfs', 'open', 'rename'] as const) {
    const real = nodeFs[name] as (...a: unknown[]) => unknown;
    (f as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push(`${name} ${args.slice(0, name === 'rename' ? 2 : 1).map(String).join(' ')}`);
      return real(...args);
    };
  }
  return f;
}

const objects = (n: number) => Array.from({ length: n }, (_, i) => contentOf(i + 1, 100 + i));

/** Final names under the store (temp files excluded), each checked against its content's digest. */
function verifiedNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names = (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((rel) => /^[0-9a-f]{2}\/[0-9a-f]{62}$/.test(rel));
  for (const rel of names) expect(objectPath(digestBytes(readFileSync(join(dir, rel))).hex), rel).to.equal(rel);
  return names.sort();
}

async function storeAll(dir: string, fs: Fs, data: Uint8Array[]): Promise<void> {
  const store = new ObjectStore(dir, { deferWrites: true, syncOnce: true, fs });
  for (const d of data) await store.addBytes(d);
  await store.flush();
}

describe('store: syncOnce, one filesystem sync per batch', function () {
  this.timeout(300_000);
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-sync-once-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('syncs the filesystem before the first rename of each batch and after the last; fsyncs no object', async () => {
    const fs = faultyFs();
    const data = objects(1500);
    await storeAll(join(work, 's'), fs, data);
    const renames = fs.calls.flatMap((c, i) => (c.startsWith('rename ') ? [i] : []));
    const syncs = fs.calls.flatMap((c, i) => (c.startsWith('syncfs ') ? [i] : []));
    expect(renames).to.have.length(1500);
    // batches of 1024 and 476 objects, then the names
    expect(syncs).to.have.length(3);
    expect(fs.calls.filter((c) => c.startsWith('fsync '))).to.deep.equal([]);
    for (const i of renames) {
      const tmp = fs.calls[i].split(' ')[1];
      const opened = fs.calls.indexOf(`open ${tmp}`);
      expect(syncs.some((s) => s > opened && s < i), `a sync between ${fs.calls[opened]} and ${fs.calls[i]}`).to.equal(true);
    }
    expect(syncs[2]).to.be.greaterThan(renames[renames.length - 1]);
    expect(verifiedNames(join(work, 's'))).to.have.length(1500);
  });

  it('a failing `sync -f` falls back to an fsync of each object before its rename, and of the directories after', async () => {
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sync'), '#!/bin/sh\necho "sync: refused" >&2\nexit 1\n');
    chmodSync(join(bin, 'sync'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const fs = recordingFs();
    try {
      expect(await syncFilesystem(work, 'linux')).to.equal(false);
      await storeAll(join(work, 's'), fs, objects(40));
    } finally {
      process.env.PATH = path;
    }
    // tried once, then never again
    expect(fs.calls.filter((c) => c.startsWith('syncfs '))).to.have.length(1);
    const renames = fs.calls.filter((c) => c.startsWith('rename '));
    expect(renames).to.have.length(40);
    for (const r of renames) {
      const [tmp, final] = r.split(' ').slice(1);
      const at = fs.calls.indexOf(r);
      expect(fs.calls.indexOf(`fsync ${tmp}`), r).to.be.within(fs.calls.indexOf(`open ${tmp}`) + 1, at - 1);
      expect(fs.calls.lastIndexOf(`fsync ${join(final, '..')}`), r).to.be.greaterThan(at);
    }
    expect(verifiedNames(join(work, 's'))).to.have.length(40);
  });

  it('syncFilesystem: true on Linux with coreutils, false on other platforms', async () => {
    expect(await syncFilesystem(work, 'win32')).to.equal(false);
    expect(await syncFilesystem(work, 'darwin')).to.equal(false);
    if (process.platform === 'linux') expect(await syncFilesystem(work)).to.equal(true);
  });

  it('a failure at every write step leaves only verified objects under final names; a re-run stores all', async () => {
    const data = objects(6);
    const all = [...new Set(data.map((d) => objectPath(digestBytes(d).hex)))].sort();
    const probe = faultyFs();
    await storeAll(join(work, 'probe'), probe, data);
    expect(probe.calls.length).to.be.greaterThan(20);
    for (let failAt = 1; failAt <= probe.calls.length; failAt++) {
      const dir = join(work, `f${failAt}`);
      const failed = await storeAll(dir, faultyFs(failAt), data).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed, `fault ${failAt}: ${probe.calls[failAt - 1]}`).to.be.instanceOf(InjectedFault);
      // nothing is renamed into place before the sync of its batch
      if (failAt <= probe.calls.findIndex((c) => c.startsWith('syncfs ')) + 1) expect(verifiedNames(dir), `fault ${failAt}`).to.deep.equal([]);
      else verifiedNames(dir);
      await storeAll(dir, nodeFs, data);
      expect(verifiedNames(dir), `re-run after fault ${failAt}`).to.deep.equal(all);
    }
  });
});
