import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LOCK_NAME, lockSysroot } from '../../src/sysroot/lock.js';
import { tempDir } from './helpers.js';

const run = (args: string[]) =>
  new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'test/sysroot/lock-holder.ts', ...args], { stdio: 'inherit' });
    p.on('exit', (code) => resolve(code ?? -1));
  });

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('sysroot lock', () => {
  const tmp = tempDir();
  after(tmp.remove);
  const sysroot = `${tmp.path}/s`;
  before(() => mkdirSync(`${sysroot}/ostree`, { recursive: true }));

  it('two processes racing on one sysroot: one waits, the critical sections never overlap', async () => {
    const log = `${tmp.path}/log`;
    writeFileSync(log, '');
    const codes = await Promise.all([run([sysroot, log, 'A']), run([sysroot, log, 'B'])]);
    expect(codes).to.deep.equal([0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const sections = lines.filter((l) => !l.startsWith('wait'));
    expect(sections).to.have.length(4);
    // start X, end X, start Y, end Y
    expect(sections[0].slice(6)).to.equal(sections[1].slice(4));
    expect(sections[2].slice(6)).to.equal(sections[3].slice(4));
    expect(sections.map((l) => l.split(' ')[0])).to.deep.equal(['start', 'end', 'start', 'end']);
    expect(lines.filter((l) => l.startsWith('wait'))).to.have.length(1);
    expect(existsSync(`${sysroot}/${LOCK_NAME}`)).to.equal(false);
  });

  it('times out with ELOCKED naming the holder; release lets the next one in', async () => {
    const held = await lockSysroot(sysroot);
    const err = await rejection(lockSysroot(sysroot, { timeoutMs: 150 }));
    expect(err).to.have.property('code', 'ELOCKED');
    expect(String(err)).to.contain(`pid ${process.pid} on ${hostname()}`);
    held.release();
    held.release(); // idempotent
    (await lockSysroot(sysroot, { timeoutMs: 1000 })).release();
  });

  it('breaks a lock left by a dead process on this host, but not one held by a live one', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${sysroot}/${LOCK_NAME}`, `${dead} ${hostname()} feed\n`);
    (await lockSysroot(sysroot, { timeoutMs: 1000 })).release();
    writeFileSync(`${sysroot}/${LOCK_NAME}`, `1 ${hostname()} feed\n`); // pid 1 is alive
    expect(await rejection(lockSysroot(sysroot, { timeoutMs: 100 }))).to.have.property('code', 'ELOCKED');
    expect(readFileSync(`${sysroot}/${LOCK_NAME}`, 'utf8')).to.equal(`1 ${hostname()} feed\n`);
  });
});
