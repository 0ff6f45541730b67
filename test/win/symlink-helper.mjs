/**
 * Linux side of the Wine symlink bridge (wine-symlinks.mjs): `node symlink-helper.mjs DIR` serves
 * the requests node.exe drops in DIR (`N.req`, JSON {op, path, to?, target?} with Unix paths; one
 * that does not parse yet is still being written) and answers each with `N.res` (JSON {value} or
 * {code}), written under a temp name and renamed.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];

const ops = {
  lstat: (r) => {
    const st = lstatSync(r.path, { throwIfNoEntry: false });
    return st?.isSymbolicLink() ? { link: true, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } : { link: false, exists: !!st };
  },
  readlink: (r) => readlinkSync(r.path, 'utf8'),
  realpath: (r) => realpathSync(r.path),
  symlink: (r) => symlinkSync(r.target, r.path),
  rename: (r) => renameSync(r.path, r.to),
  unlink: (r) => unlinkSync(r.path),
};

function serve() {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.req')) continue;
    const req = join(dir, name);
    let request;
    try {
      request = JSON.parse(readFileSync(req, 'utf8'));
    } catch {
      continue; // still being written: next poll
    }
    let answer;
    try {
      answer = { value: ops[request.op](request) ?? null };
    } catch (e) {
      answer = { code: e.code ?? 'EIO', message: e.message };
    }
    rmSync(req);
    const res = join(dir, name.replace(/\.req$/, '.res'));
    writeFileSync(`${res}.tmp`, JSON.stringify(answer));
    renameSync(`${res}.tmp`, res);
  }
}

// polled, not watched: Wine's server needs the inotify instances a shared machine may run out of
setInterval(serve, 1);
process.on('SIGTERM', () => process.exit(0));
