/** Child process for the concurrency test: N stub commits on one branch, each under the repo lock. */
import { openRepo } from '../../src/ostree/repo.js';
import { withRepoLock } from '../../src/ostree/lock.js';
import { writeStubCommit } from '../../src/ostree/commit.js';

const [repoPath, branch, tag, count] = process.argv.slice(2);
const repo = openRepo(repoPath);
for (let i = 0; i < Number(count); i++) {
  await withRepoLock(repo, () => {
    writeStubCommit(repo, { branch, subject: `${tag} ${i}`, imageDigest: new Uint8Array(32).fill(i), formatVersion: 1, timestamp: 1700000000n });
    // Hold the lock across an await so the other process really has to wait.
    return new Promise((r) => setTimeout(r, 5));
  });
}
