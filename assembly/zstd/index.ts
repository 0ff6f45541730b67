// Entry of build/zstd.wasm: the zstd block decoder and the XXH64 the frame guard (src/composefs/sources/zstd.ts) checks frames with.
export { xxh64Buffer, xxh64BufferSize, xxh64State, xxh64Reset, xxh64Update, xxh64Digest } from './xxh64';
export { zstdInput, zstdOutput, zstdFrame, zstdChecksum, zstdBlock } from './decoder';
