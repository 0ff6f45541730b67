/**
 * Bridge to the zstd block decoder of build/zstd.wasm (assembly/zstd/decoder.ts). Each decoder is
 * its own instance (its own memory: one window buffer, freed with the decoder), so streams decoded
 * side by side do not mix. Blocks go in through the module's input buffer; each block's output
 * is copied out, since the next block may move the window.
 */
import { wasmImports, zstdModule } from './instance.js';
import * as R from './zstd-reasons.js';

interface ZstdExports {
  memory: WebAssembly.Memory;
  zstdInput(): number;
  zstdOutput(): number;
  zstdFrame(window: number, blockMax: number, checksum: number): void;
  zstdChecksum(): number;
  zstdBlock(type: number, size: number): number;
}

const REASONS: Record<number, string> = {
  [R.ZSTD_LITERALS_HEADER]: 'literals section header does not fit the block',
  [R.ZSTD_LITERALS_SIZE]: 'literals larger than the block limit',
  [R.ZSTD_HUFFMAN_TABLE]: 'invalid Huffman tree description',
  [R.ZSTD_HUFFMAN_TREELESS]: 'treeless literals with no earlier Huffman tree in the frame',
  [R.ZSTD_HUFFMAN_STREAM]: 'Huffman stream does not hold exactly its literals',
  [R.ZSTD_SEQUENCES_HEADER]: 'invalid sequences section header',
  [R.ZSTD_FSE_TABLE]: 'invalid FSE table description',
  [R.ZSTD_FSE_REPEAT]: 'repeated FSE table with no earlier table in the frame',
  [R.ZSTD_SEQUENCE_STREAM]: 'sequences bitstream does not hold exactly its sequences',
  [R.ZSTD_LITERALS_OVERRUN]: 'sequences use more literals than the block holds',
  [R.ZSTD_OFFSET]: 'match offset outside the decoded window',
  [R.ZSTD_BLOCK_SIZE]: "block decodes to more than the frame's block limit",
};

/** Block types the decoder takes (the block header's Block_Type). */
export type BlockType = 0 | 1 | 2;

/** A zstd block decoder: `frame` once per frame, then `block` per block in order. */
export class ZstdBlocks {
  private readonly x: ZstdExports;
  private view = new Uint8Array(0);

  constructor() {
    this.x = new WebAssembly.Instance(zstdModule(), wasmImports).exports as unknown as ZstdExports;
  }

  private bytes(): Uint8Array {
    if (this.view.buffer !== this.x.memory.buffer) this.view = new Uint8Array(this.x.memory.buffer);
    return this.view;
  }

  /** Starts a frame: allocates (or reuses) a buffer for `window` bytes of history; null, or why it failed. */
  frame(window: number, blockMax: number, checksum: boolean): string | null {
    try {
      this.x.zstdFrame(window, blockMax, checksum ? 1 : 0);
      return null;
    } catch (err) {
      return `no memory for a ${window}-byte window (${err instanceof Error ? err.message : String(err)})`;
    }
  }

  /**
   * Decodes one block: `content` is its content (one byte for RLE), `size` its Block_Size (for
   * RLE: the output length). Returns the output (a copy), or the reason the block is refused.
   */
  block(type: BlockType, content: Uint8Array, size: number): Uint8Array | string {
    let n: number;
    try {
      this.bytes().set(content, this.x.zstdInput());
      n = this.x.zstdBlock(type, size);
    } catch (err) {
      return `block decoder failed (${err instanceof Error ? err.message : String(err)})`;
    }
    if (n < 0) return REASONS[-n] ?? `block decoder reason ${-n}`;
    const at = this.x.zstdOutput();
    return this.bytes().slice(at, at + n);
  }

  /** Low 32 bits of the XXH64 of the frame's content (when `frame` was told to keep it). */
  checksum(): number {
    return this.x.zstdChecksum() >>> 0;
  }
}
