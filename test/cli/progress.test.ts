import { expect } from 'chai';
import { createProgress, eta, withActivity } from '../../src/cli/progress.js';

/** A stream that records what is drawn on it, TTY or not. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', columns: 100, write(chunk: string) { s.text += chunk; return true; }, cursorTo() { return true; }, clearLine() { return true; }, moveCursor() { return true; }, on() { return s; }, removeListener() { return s; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('CLI progress', () => {
  it('ETA: from the mean rate once a second has passed, "--:--" before or without a total', () => {
    expect(eta(0, 100, 5000)).to.equal('--:--');
    expect(eta(50, 100, 500)).to.equal('--:--');
    expect(eta(50, 0, 5000)).to.equal('--:--');
    expect(eta(25, 100, 10_000)).to.equal('0:30');
    expect(eta(1, 1000, 2000)).to.equal('33:18');
    expect(eta(1, 10_000, 1000)).to.equal('2:46:39');
    expect(eta(100, 100, 9000)).to.equal('0:00');
  });

  it('the bar draws on a TTY only, never with --quiet, and never prints NaN or Infinity', async () => {
    expect(createProgress({ stream: fakeStream(false) })).to.equal(undefined);
    expect(createProgress({ stream: fakeStream(true), quiet: true })).to.equal(undefined);
    const tty = fakeStream(true);
    const bar = createProgress({ stream: tty })!;
    bar.advance(1, 1024);
    bar.setTotal(4096);
    bar.advance(3, 3072);
    bar.stop();
    expect(tty.text).to.contain('ETA');
    expect(tty.text).not.to.match(/NaN|Inf|NULL|ETA [A-Z]/);
  });

  it('the activity line draws on a TTY and is erased at the end; nothing when piped or quiet', async () => {
    const tty = fakeStream(true);
    expect(await withActivity('Pruning', async () => 7, { stream: tty })).to.equal(7);
    expect(tty.text).to.equal('\rPruning... 0:00\x1b[K\r\x1b[K');
    for (const [stream, quiet] of [[fakeStream(false), false], [fakeStream(true), true]] as const) {
      await withActivity('Pruning', async () => 0, { stream, quiet });
      expect(stream.text).to.equal('');
    }
    const failing = fakeStream(true);
    let thrown: unknown;
    await withActivity('Checking', () => Promise.reject(new Error('boom')), { stream: failing }).catch((e) => (thrown = e));
    expect((thrown as Error).message).to.equal('boom');
    expect(failing.text.endsWith('\r\x1b[K')).to.equal(true);
  });
});
