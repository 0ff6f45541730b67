// Entry of build/zstd.wasm: the zstd block decoder the frame guard (src/composefs/sources/zstd.ts) feeds.
export { zstdInput, zstdOutput, zstdFrame, zstdChecksum, zstdBlock } from './decoder';
