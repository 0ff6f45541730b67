/**
 * The one place that loads build/cfskit.wasm (and compiles build/composefs.wasm for
 * src/wasm/composefs.ts). Each thread instantiates the module once, on first
 * use (synchronously, so sync APIs can use it); workers receive the compiled module from their
 * parent instead of compiling it again. Raw `WebAssembly.Instance`, not @assemblyscript/loader:
 * every export takes and returns plain numbers, and data crosses only through fixed buffers in
 * Wasm memory (see buffers.ts), so the loader's string/array marshalling would go unused.
 */
import { readFileSync } from 'node:fs';
import { CfsError } from '../errors.js';

/** Same depth from src/wasm and dist/wasm. */
const WASM_URL = new URL('../../build/cfskit.wasm', import.meta.url);
const COMPOSEFS_WASM_URL = new URL('../../build/composefs.wasm', import.meta.url);
const ZSTD_WASM_URL = new URL('../../build/zstd.wasm', import.meta.url);

/** Exports every bridge relies on; each bridge module types the exports it calls itself. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  alloc(size: number): number;
}

let compiled: WebAssembly.Module | undefined;
let composefsCompiled: WebAssembly.Module | undefined;
let zstdCompiled: WebAssembly.Module | undefined;
let instance: WebAssembly.Instance | undefined;
let bytes = new Uint8Array(0);

/** Compiles one of our modules; a missing file or an engine that cannot compile it is one EWASM line. */
export function compile(url: URL): WebAssembly.Module {
  let code: Buffer;
  try {
    code = readFileSync(url);
  } catch (err) {
    throw new CfsError('the Wasm core is missing: run `npm run build`', { file: url.pathname, code: 'EWASM' }, { cause: err });
  }
  try {
    return new WebAssembly.Module(code);
  } catch (err) {
    // V8 refuses Wasm SIMD on x86-64 CPUs without SSE4.1 (qemu's default CPU model is one).
    const why = err instanceof Error ? err.message : String(err);
    throw new CfsError(`this JavaScript engine cannot compile the Wasm core (it needs WebAssembly SIMD): ${why}`, { file: url.pathname, code: 'EWASM' }, { cause: err });
  }
}

/** The compiled module (compiled once per thread, or handed over with `useModule`). */
export function wasmModule(): WebAssembly.Module {
  compiled ??= compile(WASM_URL);
  return compiled;
}

/** The dumpfile → image builder (build/composefs.wasm), compiled once per thread on first use. */
export function composefsModule(): WebAssembly.Module {
  composefsCompiled ??= compile(COMPOSEFS_WASM_URL);
  return composefsCompiled;
}

/** The zstd block decoder (build/zstd.wasm), compiled once per thread on first use. */
export function zstdModule(): WebAssembly.Module {
  zstdCompiled ??= compile(ZSTD_WASM_URL);
  return zstdCompiled;
}

/** Imports every module of ours needs: `abort` (a failed bounds check or assertion inside Wasm). */
export const wasmImports = {
  env: {
    abort(_msg: number, _file: number, line: number, column: number) {
      throw new Error(`Wasm core aborted at ${line}:${column}`);
    },
  },
};

/** Lets a worker reuse the module its parent compiled (a WebAssembly.Module can be posted to workers). */
export function useModule(module: WebAssembly.Module): void {
  if (!instance) compiled = module;
}

/** This thread's instance, created on first call. */
export function wasm<T extends object = object>(): CoreExports & T {
  instance ??= new WebAssembly.Instance(wasmModule(), wasmImports);
  return instance.exports as unknown as CoreExports & T;
}

/** A byte view of all of Wasm memory, renewed when memory has grown (growth detaches old views). */
export function memoryBytes(): Uint8Array {
  const buffer = wasm().memory.buffer;
  if (bytes.buffer !== buffer) bytes = new Uint8Array(buffer);
  return bytes;
}

/** True when `data` is a view into Wasm memory (so it can be hashed where it lies, without a copy). */
export function inWasmMemory(data: Uint8Array): boolean {
  return data.buffer === memoryBytes().buffer;
}
