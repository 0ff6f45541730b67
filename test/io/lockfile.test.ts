/**
 * Lock files that cannot outlive their process (src/lockfile.ts): reboots (boot id), pid reuse
 * (start time), empty and foreign lock files, and the notice on stderr after a second.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLockFile, holderLiveness, LOCK_NOTICE_MS } from '../../src/io/lockfile.js';
import { bootId, processStart } from '../../src/io/process-id.js';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('lock files', () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-lockfile-'));
    lock = join(dir, 'x.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const take = async (timeoutMs = 300) => (await acquireLockFile(lock, 'test lock', { timeoutMs, onWait: () => undefined })).release();

  it('this host has /proc: the holder line carries boot id and start time', async function () {
    if (bootId() === null) this.skip(); // the fallback (pid only) is what the other cases show without /proc
    const held = await acquireLockFile(lock, 'test lock');
    const line = readFileSync(lock, 'utf8');
    held.release();
    expect(line).to.match(new RegExp(`^${process.pid} ${hostname()} [0-9a-f]{16} boot=${bootId()} start=${processStart(process.pid)}\\n$`));
    expect(holderLiveness(line)).to.equal('alive');
  });

  it('a lock of a live pid from another boot is stale (reboot)', async function () {
    if (bootId() === null) this.skip();
    writeFileSync(lock, `1 ${hostname()} feed boot=00000000-0000-0000-0000-000000000000 start=${processStart(1)}\n`);
    await take();
  });

  it('a lock of a live pid with another start time is stale (pid reuse)', async function () {
    if (bootId() === null) this.skip();
    writeFileSync(lock, `1 ${hostname()} feed boot=${bootId()} start=${Number(processStart(1)) + 1}\n`);
    await take();
  });

  it('the live process of a lock keeps it', async () => {
    const line = `1 ${hostname()} feed boot=${bootId() ?? '-'} start=${processStart(1) ?? '-'}\n`;
    writeFileSync(lock, line);
    expect((await rejection(take(100))).code).to.equal('ELOCKED');
    expect(readFileSync(lock, 'utf8')).to.equal(line);
  });

  it('an empty or garbled lock (a crash before its bytes reached the disk) is stale', async () => {
    for (const junk of ['', '\0\0\0\0', 'not a holder line\n', `0 ${hostname()} x\n`]) {
      writeFileSync(lock, junk);
      await take();
    }
  });

  it("another host's lock is refused at once, naming the host and the file", async () => {
    writeFileSync(lock, `4242 some-other-host feed boot=x start=1\n`);
    const t0 = Date.now();
    const err = await rejection(take(60_000));
    expect(Date.now() - t0).to.be.below(5000);
    expect(err.code).to.equal('ELOCKED');
    expect(err.message).to.contain('some-other-host').and.contain(lock);
    expect(readFileSync(lock, 'utf8')).to.contain('some-other-host');
  });

  it('a waiter says so on stderr after a second, not before', async () => {
    const held = await acquireLockFile(lock, 'test lock');
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => lines.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      await rejection(acquireLockFile(lock, 'test lock', { timeoutMs: LOCK_NOTICE_MS / 2 }));
      expect(lines, 'half a second').to.deep.equal([]);
      await rejection(acquireLockFile(lock, 'test lock', { timeoutMs: LOCK_NOTICE_MS + 500 }));
    } finally {
      process.stderr.write = write;
      held.release();
    }
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain(`waiting for the test lock ${lock} (held by pid ${process.pid} on ${hostname()})`);
  });

  it('leaves no holder temp file behind', async () => {
    await take();
    expect(readdirSync(dir)).to.deep.equal([]);
  });
});
