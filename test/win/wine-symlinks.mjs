/**
 * Preloaded into node.exe under Wine (`--import`) for the sysroot checks only: Wine 8 cannot create
 * symlinks (CreateSymbolicLinkW reports success and creates nothing) and shows a Unix symlink as its
 * target. This bridge gives node.exe what Windows with Developer Mode gives it: symlink creates a
 * link, lstat/readlink/realpath see links, rename/unlink move or remove the link itself. Each call
 * on a link goes to symlink-helper.mjs (Linux) through request files in CFSKIT_WINE_BRIDGE; a
 * target's `\` becomes `/`, as Linux reads an NTFS link. Everything else is Wine's own node:fs.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { win32 } from 'node:path';

const dir = process.env.CFSKIT_WINE_BRIDGE;
/** Only paths under this Unix directory (the test's work dir) can hold links; the rest is Wine's. */
const root = process.env.CFSKIT_WINE_ROOT;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let serial = 0;
const real = {
  lstatSync: fs.lstatSync, readlinkSync: fs.readlinkSync, realpathSync: fs.realpathSync, symlinkSync: fs.symlinkSync,
  renameSync: fs.renameSync, unlinkSync: fs.unlinkSync, existsSync: fs.existsSync, writeFileSync: fs.writeFileSync, readFileSync: fs.readFileSync,
};

/** A Windows path (relative, `\x`, `Z:\x`, Buffer) as the Unix path Wine maps it to. */
function unix(p) {
  const abs = win32.resolve(Buffer.isBuffer(p) ? p.toString() : String(p));
  return /^[zZ]:/.test(abs) ? abs.slice(2).replaceAll('\\', '/') || '/' : '';
}

function ask(op, fields) {
  const name = win32.join(dir, `${process.pid}-${++serial}`);
  // written in place (Wine's rename in a directory another process changes fails now and then)
  real.writeFileSync(`${name}.req`, JSON.stringify({ op, ...fields }));
  while (!real.existsSync(`${name}.res`)) Atomics.wait(sleeper, 0, 0, 1);
  const answer = JSON.parse(real.readFileSync(`${name}.res`, 'utf8'));
  real.unlinkSync(`${name}.res`);
  if ('code' in answer) throw Object.assign(new Error(`${answer.code}: ${op} '${fields.path}'`), { code: answer.code });
  return answer.value;
}

/** The Unix path of `p` when it is under the root, else undefined (left to Wine). */
function bridged(p) {
  const u = unix(p);
  return u === root || u.startsWith(`${root}/`) ? u : undefined;
}
const linkInfo = (p) => (bridged(p) ? ask('lstat', { path: unix(p) }) : { link: false });

fs.symlinkSync = (target, path) => ask('symlink', { path: unix(path), target: String(target).replaceAll('\\', '/') });
fs.lstatSync = (path, opts) => {
  const info = linkInfo(path);
  if (!info.link) return real.lstatSync(path, opts);
  const st = Object.create(fs.Stats.prototype);
  Object.assign(st, { dev: 0, mode: 0o120777, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, ino: info.ino, size: info.size, blocks: 0 });
  for (const t of ['atime', 'mtime', 'ctime', 'birthtime']) Object.assign(st, { [`${t}Ms`]: info.mtimeMs, [t]: new Date(info.mtimeMs) });
  return st;
};
fs.readlinkSync = (path, opts) => {
  const target = ask('readlink', { path: unix(path) });
  return (typeof opts === 'string' ? opts : opts?.encoding) === 'buffer' ? Buffer.from(target) : target;
};
fs.realpathSync = (path, opts) => (bridged(path) ? `Z:${ask('realpath', { path: unix(path) }).replaceAll('/', '\\')}` : real.realpathSync(path, opts));
fs.realpathSync.native = fs.realpathSync;
fs.renameSync = (from, to) => (linkInfo(from).link ? ask('rename', { path: unix(from), to: unix(to) }) : real.renameSync(from, to));
fs.unlinkSync = (path) => (linkInfo(path).link ? ask('unlink', { path: unix(path) }) : real.unlinkSync(path));
fs.promises.lstat = async (path, opts) => fs.lstatSync(path, opts);
fs.promises.readlink = async (path, opts) => fs.readlinkSync(path, opts);
fs.promises.realpath = async (path, opts) => fs.realpathSync(path, opts);
syncBuiltinESMExports();
