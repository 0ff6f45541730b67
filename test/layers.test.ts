import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

/** The rank of each top-level part of src/, from the fenced `layers` block of docs/ARCHITECTURE.md. */
function layerRanks(): Map<string, number> {
  const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const block = /```layers\n([\s\S]*?)```/.exec(doc);
  expect(block, 'docs/ARCHITECTURE.md has a ```layers block').to.not.equal(null);
  const ranks = new Map<string, number>();
  block![1].trim().split('\n').forEach((line, i) => line.trim().split(/\s+/).forEach((part) => ranks.set(part, i)));
  return ranks;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `errors.ts` for src/errors.ts, `sysroot` for src/sysroot/boot/swap.ts. */
const partOf = (file: string) => relative(SRC, file).split('/')[0].replace(/\.js$/, '.ts');

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => normalize(join(dirname(file), m[1])));
}

describe('layers: src/ imports only downward', () => {
  const ranks = layerRanks();
  const files = sourceFiles(SRC);

  it('every top-level part of src/ has a place in the layer order', () => {
    const parts = new Set(readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() ? sourceFiles(join(SRC, e.name)).length > 0 : e.name.endsWith('.ts')).map((e) => e.name));
    expect([...parts].filter((p) => !ranks.has(p))).to.deep.equal([]);
  });

  /** The imports of `file` (a path under src/) that run against the order. */
  const against = (file: string, targets: string[]) =>
    targets.filter((t) => partOf(t) !== partOf(file) && ranks.get(partOf(t))! >= ranks.get(partOf(file))!).map((t) => `${relative(ROOT, file)} -> ${relative(ROOT, t)}`);

  it('no import runs against the layer order, and parts on one line import neither', () => {
    expect(files.flatMap((f) => against(f, imports(f)))).to.deep.equal([]);
  });

  it('the check refuses an upward import and one between neighbours, and allows a downward one', () => {
    expect(against(join(SRC, 'io/fs.ts'), [join(SRC, 'sysroot/deploy.js')])).to.have.length(1);
    expect(against(join(SRC, 'pull/pull.ts'), [join(SRC, 'registry/client.js')])).to.have.length(1);
    expect(against(join(SRC, 'sysroot/deploy.ts'), [join(SRC, 'io/fs.js'), join(SRC, 'errors.js'), join(SRC, 'sysroot/boot/swap.js')])).to.deep.equal([]);
  });
});
