/**
 * Each compiled module exports exactly what the TypeScript interfaces of its bridges declare:
 * the same names, kinds, and for functions the same parameter and result types (`number` for
 * i32/f32/f64, `bigint` for i64, `void` for no result), read from the module's type, import,
 * function and export sections. An export added or changed on one side only fails here.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Which interfaces type the exports of each module: [source file, interface]. */
const BRIDGES: Record<string, [string, string][]> = {
  'build/cfskit.wasm': [
    ['src/wasm/instance.ts', 'CoreExports'],
    ['src/wasm/sha.ts', 'ShaExports'],
    ['src/wasm/batch.ts', 'ManyExports'],
  ],
  'build/composefs.wasm': [['src/wasm/composefs.ts', 'ComposefsExports']],
  'build/zstd.wasm': [['src/wasm/zstd.ts', 'ZstdExports']],
};

/** One export as a line: `name memory` or `name(number, number): void`. */
type Signature = string;

/** The exports of a Wasm binary with their function signatures in TypeScript terms. */
function wasmExports(bytes: Uint8Array): Signature[] {
  let at = 8; // magic and version
  const u32 = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const name = () => {
    const len = u32();
    at += len;
    return Buffer.from(bytes.subarray(at - len, at)).toString('utf8');
  };
  const limits = () => {
    const flags = bytes[at++];
    u32();
    if (flags & 1) u32();
  };
  const valtype = (b: number) => ({ 0x7f: 'number', 0x7d: 'number', 0x7c: 'number', 0x7e: 'bigint' })[b] ?? `valtype 0x${b.toString(16)}`;
  const types: { params: string[]; result: string }[] = [];
  const functions: number[] = []; // type index of each function, imports first
  const out: Signature[] = [];
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = u32();
    const end = at + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        at++; // 0x60
        const params = Array.from({ length: u32() }, () => valtype(bytes[at++]));
        const results = Array.from({ length: u32() }, () => valtype(bytes[at++]));
        types.push({ params, result: results[0] ?? 'void' });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name();
        name();
        const kind = bytes[at++];
        if (kind === 0) functions.push(u32());
        else if (kind === 1) (at++, limits()); // table: reference type, limits
        else if (kind === 2) limits(); // memory
        else at += 2; // global: value type, mutability
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) functions.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const exported = name();
        const kind = bytes[at++];
        const index = u32();
        if (kind === 0) {
          const t = types[functions[index]];
          out.push(`${exported}(${t.params.join(', ')}): ${t.result}`);
        } else {
          out.push(`${exported} ${['function', 'table', 'memory', 'global'][kind]}`);
        }
      }
    }
    at = end;
  }
  return out.sort();
}

/** The members of `iface` in `file` as signatures (methods' parameter and return types as written). */
function interfaceExports(file: string, iface: string): Signature[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === iface);
  if (!decl) throw new Error(`${file} declares no interface ${iface}`);
  return decl.members.map((m) => {
    const member = m.name!.getText();
    if (ts.isPropertySignature(m) && m.type?.getText() === 'WebAssembly.Memory') return `${member} memory`;
    if (ts.isMethodSignature(m)) return `${member}(${m.parameters.map((p) => p.type!.getText()).join(', ')}): ${m.type!.getText()}`;
    throw new Error(`${file}: ${iface}.${member} is neither a method nor the memory`);
  });
}

const expected = (module: string) => [...new Set(BRIDGES[module].flatMap(([file, iface]) => interfaceExports(file, iface)))].sort();

describe('Wasm exports match the bridges\' interfaces', () => {
  for (const module of Object.keys(BRIDGES)) {
    it(`${module}: every export is declared, every declared member exported, with the same signature`, () => {
      const bytes = readFileSync(join(ROOT, module));
      const actual = wasmExports(bytes);
      expect(actual).to.deep.equal(expected(module));
      // the section reader agrees with the engine on names and arities
      const engine = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${e.name} ${e.kind}`).sort();
      expect(actual.map((s) => (s.includes('(') ? `${s.slice(0, s.indexOf('('))} function` : s)).sort()).to.deep.equal(engine);
    });
  }

  it('every *Exports interface under src/ is listed for its module', () => {
    const listed = Object.values(BRIDGES).flat().map(([file, iface]) => `${file} ${iface}`).sort();
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const found = files('src').flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/^(?:export )?interface (\w+Exports)\b/gm)].map((m) => `${f} ${m[1]}`));
    expect(found.sort()).to.deep.equal(listed);
  });

  it('a missing, extra or retyped export is a difference', () => {
    const want = expected('build/composefs.wasm');
    const have = wasmExports(readFileSync(join(ROOT, 'build/composefs.wasm')));
    expect(have.filter((s) => !s.startsWith('imageLen('))).to.not.deep.equal(want);
    expect([...have, 'extra(): void'].sort()).to.not.deep.equal(want);
    expect(have.map((s) => s.replace('feed(number): void', 'feed(number, number): void'))).to.not.deep.equal(want);
  });
});
