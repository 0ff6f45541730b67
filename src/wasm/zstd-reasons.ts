/**
 * Why the zstd block decoder (assembly/zstd/decoder.ts) refuses a block: the codes it returns
 * (negated); src/wasm/zstd.ts words them. A contract module: the Wasm side gets these values from
 * assembly/contract/zstd-reasons.ts, which assembly/generate-contract.ts writes from this file.
 */

/** The Wasm type of each constant (AssemblyScript names; numbers in TypeScript). */
type i32 = number;

/** The literals section header or its sizes do not fit the block. */
export const ZSTD_LITERALS_HEADER = 1 satisfies i32;
/** The literals decode to more than the block may hold. */
export const ZSTD_LITERALS_SIZE = 2 satisfies i32;
/** The Huffman tree description is invalid. */
export const ZSTD_HUFFMAN_TABLE = 3 satisfies i32;
/** Treeless literals with no Huffman table earlier in the frame. */
export const ZSTD_HUFFMAN_TREELESS = 4 satisfies i32;
/** A Huffman stream (or the jump table) does not hold exactly its literals. */
export const ZSTD_HUFFMAN_STREAM = 5 satisfies i32;
/** The sequences section header is truncated or has reserved bits set. */
export const ZSTD_SEQUENCES_HEADER = 6 satisfies i32;
/** An FSE table description is invalid. */
export const ZSTD_FSE_TABLE = 7 satisfies i32;
/** Repeat mode with no table earlier in the frame. */
export const ZSTD_FSE_REPEAT = 8 satisfies i32;
/** The sequences bitstream does not hold exactly its sequences. */
export const ZSTD_SEQUENCE_STREAM = 9 satisfies i32;
/** The sequences use more literals than the literals section holds. */
export const ZSTD_LITERALS_OVERRUN = 10 satisfies i32;
/** A match offset is zero or reaches before the start of the frame's history. */
export const ZSTD_OFFSET = 11 satisfies i32;
/** The block decodes to more than the frame's block limit. */
export const ZSTD_BLOCK_SIZE = 12 satisfies i32;
