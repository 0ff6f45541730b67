/**
 * The package as a user gets it: `npm pack`, the tarball unpacked as node_modules/cfskit of a
 * temp project (its dependencies linked from this checkout's node_modules, so no network), then
 * each entry point imported BY NAME from an .mjs file and used, and a TypeScript consumer
 * type-checked against the packed .d.ts with moduleResolution node16 and bundler.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};
const VECTOR = join(REPO, 'test/vectors/composefs/upstream/bigfile-xattr.dump');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

describe('the packed package: npm pack, installed by name, each entry point used', function () {
  this.timeout(300_000);
  let tmp: string;
  let project: string;
  let files: string[];

  before(function () {
    expect(existsSync(join(REPO, 'dist/api/composefs.js')), 'dist/ is built (npm run build)').to.equal(true);
    tmp = mkdtempSync(join(tmpdir(), 'cfskit-pack-'));
    // --ignore-scripts: `prepare` would rebuild; the test packs the dist/ and build/ at hand
    const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], REPO);
    expect(packed.status, packed.stderr).to.equal(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info.files.map((f) => f.path);
    project = join(tmp, 'project');
    const installed = join(project, 'node_modules/cfskit');
    mkdirSync(installed, { recursive: true });
    const untar = run('tar', ['xzf', join(tmp, info.filename), '-C', installed, '--strip-components=1'], tmp);
    expect(untar.status, untar.stderr).to.equal(0);
    // what `npm install` would put beside it: the declared dependencies (theirs resolve from their real paths)
    for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
      mkdirSync(dirname(join(project, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(REPO, 'node_modules', dep), join(project, 'node_modules', dep));
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the tarball holds every exports and bin target, and no test/ or bench/ file', () => {
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : [t.types, t.import])).concat(Object.values(pkg.bin));
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).to.deep.equal([]);
    expect(files.filter((f) => /^(test|bench)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f))).to.deep.equal([]);
    expect(files).to.include.members(['build/cfskit.wasm', 'build/composefs.wasm', 'dist/index.d.ts']);
  });

  it('an .mjs consumer imports each entry point by name and uses it', () => {
    writeFileSync(join(project, 'consumer.mjs'), `
import { mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { CfsError, loadSource, buildImage } from 'cfskit';
import { parseDump, readImage, printDump, digestBytes } from 'cfskit/composefs';
import { initRepo, openRepo, writeStubCommit, readRef } from 'cfskit/ostree';
import { initFs, osInit, status } from 'cfskit/sysroot';

const out = {};
const dump = readFileSync(${JSON.stringify(VECTOR)});
const built = buildImage(await loadSource({ kind: 'dump', paths: [${JSON.stringify(VECTOR)}] }), {});
const strict = buildImage(new Uint8Array(dump), { strict: true });
out.sha256 = createHash('sha256').update(strict.image).digest('hex');
out.sameFromSource = Buffer.from(built.image).equals(Buffer.from(strict.image));
out.dumpBack = printDump(readImage(strict.image), 'utf8') === printDump(parseDump(dump), 'utf8');
out.digest = digestBytes(strict.image).hex === strict.digest.hex;
try { parseDump('/ not a dump'); } catch (e) { out.error = e instanceof CfsError && e.code; }
initRepo('repo', 'bare-user');
const repo = openRepo('repo');
const commit = writeStubCommit(repo, { branch: 'os/stable', imageDigest: strict.digest.bytes, formatVersion: strict.version });
out.ref = readRef(repo, 'os/stable') === commit;
mkdirSync('sysroot');
initFs('sysroot');
osInit('sysroot', 'os');
out.status = status('sysroot');
try { await import('cfskit/dist/sysroot/deploy.js'); } catch (e) { out.internal = e.code; }
console.log(JSON.stringify(out));
`);
    const r = run(process.execPath, ['consumer.mjs'], project);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({
      sha256: readFileSync(`${VECTOR}.sha256`, 'utf8').trim(),
      sameFromSource: true,
      dumpBack: true,
      digest: true,
      error: 'EDUMP',
      ref: true,
      status: { deployments: [], text: 'No deployments.\n' },
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  for (const resolution of ['node16', 'bundler'] as const) {
    it(`a TypeScript consumer type-checks against the packed .d.ts (moduleResolution ${resolution}), and an internal name does not`, () => {
      const dir = join(project, resolution);
      mkdirSync(dir);
      writeFileSync(join(dir, 'consumer.ts'), `
import { CfsError, type CfsErrorCode, buildImage, type BuiltImage, deploy, type DeployOptions, pull } from 'cfskit';
import { parseDump, readImage, Node, type FsverityDigest } from 'cfskit/composefs';
import { initRepo, type Repo, encodeVariant } from 'cfskit/ostree';
import { status, type Status, rollback } from 'cfskit/sysroot';

const code: CfsErrorCode = 'EDUMP';
const image: BuiltImage = buildImage(parseDump('/ 4096 40755 2 0 0 0 0.0 - - -\\n'));
const digest: FsverityDigest = image.digest;
const root: Node = readImage(image.image);
const repo: Repo = initRepo('r');
const s: Status = status('sysroot');
const o: DeployOptions = { sysroot: 's', stateroot: 'os', source: 'os/stable' };
export const all = [code, digest.hex, root.children, repo.path, s.text, o, deploy, pull, rollback, encodeVariant('s', 'x', 'le'), new CfsError('r', { code }).code];
`);
      writeFileSync(join(dir, 'internal.ts'), `import { allocateDeployserial } from 'cfskit';\nexport const a = allocateDeployserial;\n`);
      const compilerOptions = {
        strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', types: ['node'],
        ...(resolution === 'node16' ? { module: 'node16', moduleResolution: 'node16' } : { module: 'esnext', moduleResolution: 'bundler' }),
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts', 'internal.ts'] }));
      // one program (tsc is slow): the only error is internal.ts's
      const r = run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
      expect(r.stderr).to.equal('');
      expect(r.stdout.trimEnd().split('\n')).to.deep.equal([`internal.ts(1,10): error TS2305: Module '"cfskit"' has no exported member 'allocateDeployserial'.`]);
    });
  }
});
