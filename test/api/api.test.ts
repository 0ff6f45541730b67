/**
 * The public API as declared: every entry point of package.json `exports` has a source module,
 * every name it exports carries a doc comment, docs/API.md lists exactly those names per entry
 * point, and its error-code tables are the ones in src/errors.ts.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { CFS_ERROR_CODES, ERRNO_CODES, CfsError, ioError } from '../../src/errors.js';

const REPO = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; import: string }> };
const API_DOC = readFileSync(join(REPO, 'docs/API.md'), 'utf8');

/** `cfskit/ostree` → src/api/ostree.ts, from the entry's `import` target under dist/. */
const entries = Object.entries(pkg.exports)
  .filter(([, t]) => typeof t === 'object')
  .map(([key, t]) => ({ name: key.replace(/^\./, 'cfskit'), source: join(REPO, (t as { import: string }).import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')) }));

/** The rows of the markdown table under `## heading` in docs/API.md: first cell → second cell. */
function table(heading: string): Map<string, string> {
  const at = API_DOC.indexOf(`\n## ${heading}\n`);
  expect(at, `docs/API.md has a section "## ${heading}"`).to.be.greaterThan(-1);
  const rows = new Map<string, string>();
  for (const line of API_DOC.slice(at + heading.length + 5).split('\n## ')[0].split('\n')) {
    const m = /^\| (?:type )?`([^`]+)` \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1], m[2]);
  }
  return rows;
}

describe('public API: entry points, doc comments, docs/API.md, error codes', function () {
  this.timeout(120_000);

  it('package.json exports the four entry points, each with types and a source module', () => {
    expect(entries.map((e) => e.name)).to.deep.equal(['cfskit', 'cfskit/composefs', 'cfskit/ostree', 'cfskit/sysroot']);
    for (const [key, t] of Object.entries(pkg.exports)) {
      if (typeof t === 'string') continue;
      expect(Object.keys(t), key).to.deep.equal(['types', 'import']);
      expect(t.types.replace(/\.d\.ts$/, ''), key).to.equal(t.import.replace(/\.js$/, ''));
    }
    for (const e of entries) expect(existsSync(e.source), e.source).to.equal(true);
  });

  it('every export of every entry point has a doc comment and a row in docs/API.md', () => {
    const program = ts.createProgram(entries.map((e) => e.source), {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, types: ['node'], skipLibCheck: true, noEmit: true,
    });
    const checker = program.getTypeChecker();
    const docOf = (s: ts.Symbol): string => {
      for (let t: ts.Symbol | undefined = s; t; t = t.flags & ts.SymbolFlags.Alias ? checker.getImmediateAliasedSymbol(t) : undefined) {
        const text = ts.displayPartsToString(t.getDocumentationComment(checker)).trim();
        if (text) return text;
      }
      return '';
    };
    const undocumented: string[] = [];
    for (const e of entries) {
      const names = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(e.source)!)!);
      expect(names.length, e.name).to.be.within(5, 60);
      undocumented.push(...names.filter((s) => docOf(s) === '').map((s) => `${e.name}: ${s.name}`));
      expect([...table(`\`${e.name}\``).keys()].sort(), `docs/API.md lists the exports of ${e.name}`).to.deep.equal(names.map((s) => s.name).sort());
    }
    expect(undocumented).to.deep.equal([]);
  });

  it('docs/API.md lists every error code with the meaning src/errors.ts gives it', () => {
    const unescape = (cell: string) => cell.replace(/\\\|/g, '|');
    expect(Object.fromEntries([...table('Error codes')].map(([k, v]) => [k, unescape(v)]))).to.deep.equal({ ...CFS_ERROR_CODES, ...ERRNO_CODES });
  });

  it('a system error keeps its errno when cfskit passes it on, else becomes ESYSCALL', () => {
    const sys = (code: string) => Object.assign(new Error(`${code}: what happened, write`), { code, syscall: 'write' });
    const full = ioError(sys('ENOSPC'), '/x');
    expect(full).to.be.instanceOf(CfsError);
    expect([full!.code, full!.message]).to.deep.equal(['ENOSPC', '/x: What happened']);
    const odd = ioError(sys('EOVERFLOW'), '/x')!;
    expect([odd.code, (odd.cause as NodeJS.ErrnoException).code]).to.deep.equal(['ESYSCALL', 'EOVERFLOW']);
    expect(new CfsError('r').code).to.equal('ECFS');
  });
});
