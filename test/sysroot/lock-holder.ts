/** Child process for the lock race test: take the sysroot lock, log start/end around a pause. */
import { appendFileSync } from 'node:fs';
import { withSysrootLock } from '../../src/sysroot/lock.js';

const [sysroot, log, tag] = process.argv.slice(2);
await withSysrootLock(
  sysroot,
  async () => {
    appendFileSync(log, `start ${tag}\n`);
    await new Promise((r) => setTimeout(r, 1500));
    appendFileSync(log, `end ${tag}\n`);
  },
  { onWait: () => appendFileSync(log, `wait ${tag}\n`) },
);
