/**
 * Real GLib as the oracle: commits whose metadata holds generated values of generated types are
 * written by us; `ostree fsck` runs g_variant_is_normal_form on each, and `ostree show
 * --print-metadata-key` (g_variant_print after the byte swap) must print what printVariant prints.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { initRepo } from '../../src/ostree/repo.js';
import { encodeCommit, EMPTY_DIRTREE, ROOT_DIRMETA } from '../../src/ostree/formats.js';
import { writeMetadata } from '../../src/ostree/objects.js';
import { writeRef } from '../../src/ostree/refs.js';
import { printVariant } from '../../src/formats/gvariant-text.js';
import type { VarDict } from '../../src/formats/gvariant.js';
import { arbTypedValue } from '../ostree/arbitrary.js';

describe('GVariant against GLib through ostree 2022.7', function () {
  let dir: string;
  before(function () {
    needCommand(this, 'ostree');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-glib-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('generated metadata values are normal form for GLib and print identically', function () {
    const repo = initRepo(join(dir, 'repo'), 'bare-user-only');
    const samples = fc.sample(arbTypedValue(), { seed: 21, numRuns: 120 });
    const metadata: VarDict = samples.map((s, i) => [`k${i}`, s] as [string, typeof s]);
    const checksum = writeMetadata(repo, 'commit', encodeCommit({
      metadata, parent: null, related: [], subject: 'oracle', body: '', timestamp: 1n,
      rootTree: writeMetadata(repo, 'dirtree', EMPTY_DIRTREE), rootMeta: writeMetadata(repo, 'dirmeta', ROOT_DIRMETA),
    }));
    writeRef(repo, 'oracle', checksum);
    const fsck = runPeer('ostree', ['fsck', `--repo=${repo.path}`]);
    expect(fsck.stderr + fsck.stdout).to.contain('no errors found');
    expect(fsck.status).to.equal(0);
    for (const [key, v] of metadata) {
      const shown = runPeer('ostree', ['show', `--repo=${repo.path}`, `--print-metadata-key=${key}`, 'oracle']);
      expect(shown.status, shown.stderr).to.equal(0);
      const ours = `${printVariant(v.type, v.value)}\n`;
      let i = 0;
      while (i < ours.length && ours[i] === shown.stdout[i]) i++;
      expect(ours, `${key} of type ${v.type}, differs at ${i}: ${JSON.stringify(ours.slice(i - 20, i + 20))} vs ${JSON.stringify(shown.stdout.slice(i - 20, i + 20))}`).to.equal(shown.stdout);
    }
  });
});
