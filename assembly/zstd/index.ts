// Entry of build/zstd.wasm: the hash the zstd frame guard (src/composefs/sources/zstd.ts) checks frames with.
export { xxh64Buffer, xxh64BufferSize, xxh64State, xxh64Reset, xxh64Update, xxh64Digest } from './xxh64';
