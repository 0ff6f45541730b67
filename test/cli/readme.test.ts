/**
 * The README's code blocks run, so the docs cannot drift: `sh` blocks in bash (cfskit = the
 * compiled CLI; npm checks that the scripts named exist instead of running them), `ts` blocks
 * with 'cfskit' and 'cfskit/SUBPATH' resolved through package.json `exports` to the sources under src/
 * (every line they log must be `true`), and the CLI
 * synopsis (`text` block) against each verb's option table.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { verbSpecs } from '../helpers/cli.js';

const REPO = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const EXPORTS = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> }).exports;
/** The source file of an entry point: `./dist/api/ostree.js` → src/api/ostree.ts. */
const sourceOf = (specifier: string) => {
  const target = EXPORTS[specifier.replace(/^cfskit/, '.')];
  if (typeof target !== 'object') throw new Error(`README imports '${specifier}', which package.json does not export`);
  return pathToFileURL(join(REPO, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))).href;
};
const blocks = (lang: string) => [...README.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]);

const SH_PRELUDE = `set -euo pipefail
cfskit() { node ${JSON.stringify(join(REPO, 'dist/cli/main.js'))} "$@"; }
npm() {
  case "$1" in
    ci|test) ;;
    run) node -e 'const s = require(process.argv[1]).scripts; if (!(process.argv[2] in s)) { console.error("no npm script " + process.argv[2]); process.exit(1); }' ${JSON.stringify(join(REPO, 'package.json'))} "$2" ;;
    *) echo "npm $1: not checked by this test" >&2; exit 1 ;;
  esac
}
`;

describe('README code blocks', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-readme-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has sh, ts and text blocks', () => {
    expect(blocks('sh').length).to.be.at.least(2);
    expect(blocks('ts').length).to.be.at.least(1);
    expect(blocks('text').length).to.be.at.least(1);
  });

  blocks('sh').forEach((code, i) => {
    it(`sh block ${i + 1} runs`, () => {
      const r = spawnSync('bash', ['-c', SH_PRELUDE + code], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${code}\n${r.stderr}`).to.equal(0);
    });
  });

  blocks('ts').forEach((code, i) => {
    it(`ts block ${i + 1} runs and every line it logs is true`, () => {
      const file = join(dir, `block${i + 1}.mts`);
      writeFileSync(file, code.replace(/from '(cfskit(?:\/[a-z]+)?)'/g, (_, specifier: string) => `from ${JSON.stringify(sourceOf(specifier))}`));
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(REPO, 'node_modules/tsx/dist/esm/index.mjs')).href, file], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.length).to.be.at.least(1);
      for (const line of lines) expect(line, code).to.equal('true');
    });
  });

  it('the CLI synopsis names verbs that exist and options each verb accepts', async () => {
    const specs = await verbSpecs();
    const synopsis = blocks('text').find((b) => b.startsWith('cfskit '))!;
    let checked = 0;
    for (const line of synopsis.split('\n').filter((l) => l.startsWith('cfskit '))) {
      const words = line.split(/\s+/);
      const admin = words[1] === 'admin';
      const verbs = words[admin ? 2 : 1].split('|').map((v) => (admin ? `admin ${v}` : v));
      const options = [...line.replace(/#.*/, '').matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]);
      for (const verb of verbs) {
        expect(specs.has(verb), `${line}: no verb '${verb}'`).to.equal(true);
        for (const o of options) expect(o in specs.get(verb)!.options || o === 'help', `${line}: ${verb} has no --${o}`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(15);
  });
});
