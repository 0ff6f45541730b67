/**
 * The TypeScript ↔ Wasm contract has one source: each file of assembly/contract/ is what
 * assembly/generate-contract.ts gives for its contract module, and no other file in assembly/ or
 * src/ defines a constant of the contract again.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateContract, outputOf, SOURCES } from '../../assembly/generate-contract.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A source set where `path` reads as `text` and the rest as committed. */
const withSource = (path: string, text: string) => (p: string) => (p === path ? text : read(p));

describe('the Wasm contract: one source', () => {
  const generated = generateContract();
  const names = [...generated.values()].flatMap((text) => [...text.matchAll(/^export (?:const|function) (\w+)/gm)].map((m) => m[1]));
  const abiOutput = outputOf('src/wasm/abi.ts');

  it('each file of assembly/contract/ is what its contract module gives (else run `npm run contract`)', () => {
    expect(readdirSync(join(ROOT, 'assembly/contract')).map((f) => `assembly/contract/${f}`).sort()).to.deep.equal([...generated.keys()].sort());
    for (const [output, text] of generated) expect(read(output), output).to.equal(text);
  });

  it('holds every shared fact (S_IF*, EROFS layout, xattr budget, record flags, failure kinds)', () => {
    expect(names).to.include.members(['S_IFMT', 'CFS_MAGIC', 'SB_ROOT_NID', 'IE_MTIME_NSEC', 'CFS_HDR_COMPOSEFS_VERSION', 'XATTR_PREFIXES']);
    expect(names).to.include.members(['budgetAfterSet', 'BUDGET_REFUSED', 'RECORD_HAS_DIGEST', 'RECORD_NO_PARENT', 'FAIL_DUMP', 'FAIL_WRITE']);
    expect(new Set(names).size, 'no name twice').to.equal(names.length);
  });

  it('follows a change of a source, and offset objects become one constant per field', () => {
    const abi = read('src/wasm/abi.ts');
    const changed = generateContract(withSource('src/wasm/abi.ts', abi.replace('FAIL_WRITE: i32 = 2', 'FAIL_WRITE: i32 = 3'))).get(abiOutput);
    expect(changed).to.not.equal(generated.get(abiOutput));
    expect(changed).to.include('export const FAIL_WRITE: i32 = 3;');
    const offsets = generateContract(withSource('src/wasm/abi.ts', `${abi}\nexport const REC = { nameLength: 52 } as const;\n`)).get(abiOutput);
    expect(offsets).to.include('export const REC_NAME_LENGTH: i32 = 52;');
    expect(generated.get(abiOutput)).to.include('export const SHA256_ID: u32 = 1;'); // `1 satisfies u32` keeps TypeScript's literal type
  });

  it('refuses what AssemblyScript cannot read alike, naming the source and line', () => {
    const abi = read('src/wasm/abi.ts');
    const line = abi.split('\n').length + 1;
    for (const bad of ['export const X = 1;', 'export let X: i32 = 1;', 'export const X: number = 1;', "import { S_IFMT } from '../tree/mode.js';", 'export const O = { a: 1 };', 'export type T = number;']) {
      expect(() => generateContract(withSource('src/wasm/abi.ts', `${abi}\n${bad}\n`)), bad).to.throw(`src/wasm/abi.ts:${line}:`);
    }
  });

  it('no other file of assembly/ or src/ defines a contract constant again', () => {
    const own = new Set([...generated.keys(), ...SOURCES]);
    const copies: string[] = [];
    for (const file of [...tsFiles('assembly'), ...tsFiles('src')]) {
      if (own.has(relative(ROOT, join(ROOT, file)))) continue;
      for (const m of read(file).matchAll(/^\s*(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=/gm)) {
        if (names.includes(m[1])) copies.push(`${file}: ${m[1]}`);
      }
    }
    expect(copies).to.deep.equal([]);
  });
});
