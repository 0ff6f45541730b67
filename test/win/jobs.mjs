/**
 * The checks of the Windows suite as data: one job list (JSON) is run by the Windows node.exe under
 * Wine (driver.mjs) and by the Linux node in the mocha process, both on the compiled dist/, and the
 * results are compared id by id. Plain JavaScript: node.exe runs it without tsx.
 *
 * A job is { kind, id, ... }; its result is { id, value } where value is a string: an image's
 * sha256, a digest, what a call did, or `error CODE: message`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, digestBytes, digestFile, loadSource } from '../../dist/api/composefs.js';
import { writeFileAtomic } from '../../dist/io/atomic.js';
import { createSymlink, syncPath } from '../../dist/io/fs.js';

const sha256hex = (data) => createHash('sha256').update(data).digest('hex');
const failure = (e) => `error ${e.code ?? 'none'}: ${e.reason ?? e.message}`;

const run = {
  /** A dumpfile (`dump` path) built with `strict`, `minVersion`, `maxVersion`. */
  async dump(job) {
    const { image } = buildImage(new Uint8Array(readFileSync(job.dump)), { strict: job.strict, minVersion: job.minVersion, maxVersion: job.maxVersion });
    return sha256hex(image);
  },
  /** fs-verity digest of `file` with `hashAlg`, `blockSize`, `salt` (hex). */
  async fsverity(job) {
    return (await digestFile(job.file, { hashAlg: job.hashAlg, blockSize: job.blockSize, salt: Buffer.from(job.salt, 'hex') })).text;
  },
  /** loadSource(`spec`), its image written to `out`; the value also counts the warnings given. */
  async source(job) {
    let warnings = 0;
    const root = await loadSource({ ...job.spec, options: { ...job.spec.options, warn: () => warnings++ } });
    const { image } = buildImage(root);
    writeFileSync(job.out, image);
    const store = job.spec.options?.digestStore;
    return `${sha256hex(image)} warnings=${warnings}${store ? ` store=${storeListing(store)}` : ''}`;
  },
  /** writeFileAtomic into `dir`, then syncPath of the file and of the directory. */
  async sync(job) {
    const file = join(job.dir, 'synced');
    writeFileAtomic(file, 'durable\n');
    return `${readFileSync(file, 'utf8').trim()} ${syncPath(file)} ${syncPath(job.dir)}`;
  },
  /** createSymlink in `dir`: `created`, or the refusal. */
  async symlink(job) {
    mkdirSync(job.dir, { recursive: true });
    createSymlink('target', join(job.dir, 'link'));
    return 'created';
  },
};

/** sha256 of a digest store's `XX/REST size` lines, sorted, after checking each object's digest is its name. */
function storeListing(dir) {
  const lines = [];
  for (const xx of readdirSync(dir).sort()) {
    for (const rest of readdirSync(join(dir, xx)).sort()) {
      const data = readFileSync(join(dir, xx, rest));
      if (digestBytes(data).hex !== xx + rest) throw new Error(`${xx}/${rest}: content does not match its name`);
      lines.push(`${xx}/${rest} ${data.length}`);
    }
  }
  return `${lines.length}:${sha256hex(lines.join('\n'))}`;
}

/** Runs every job in order; a failing job gives its error as the value. */
export async function runJobs(jobs) {
  const results = [];
  for (const job of jobs) {
    let value;
    try {
      value = await run[job.kind](job);
    } catch (e) {
      value = failure(e);
    }
    results.push({ id: job.id, value });
  }
  return results;
}
