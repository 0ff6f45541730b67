/** Bridge to the XXH64 of build/zstd.wasm (assembly/zstd/), which the zstd frame guard checks content with. */
import { wasmImports, zstdModule } from './instance.js';

interface Xxh64Exports {
  memory: WebAssembly.Memory;
  xxh64Buffer(): number;
  xxh64BufferSize(): number;
  xxh64State(): number;
  xxh64Reset(state: number): void;
  xxh64Update(state: number, len: number): void;
  xxh64Digest(state: number): bigint;
}

let instance: Xxh64Exports | undefined;

/** A streaming XXH64 (seed 0) in build/zstd.wasm. */
export class Xxh64 {
  private readonly x: Xxh64Exports;
  private readonly state: number;

  constructor() {
    instance ??= new WebAssembly.Instance(zstdModule(), wasmImports).exports as unknown as Xxh64Exports;
    this.x = instance;
    this.state = this.x.xxh64State();
    this.reset();
  }

  reset(): void {
    this.x.xxh64Reset(this.state);
  }

  update(data: Uint8Array): void {
    const size = this.x.xxh64BufferSize();
    for (let off = 0; off < data.length; off += size) {
      const part = data.subarray(off, off + size);
      new Uint8Array(this.x.memory.buffer, this.x.xxh64Buffer(), part.length).set(part);
      this.x.xxh64Update(this.state, part.length);
    }
  }

  digest(): bigint {
    return BigInt.asUintN(64, this.x.xxh64Digest(this.state));
  }
}
