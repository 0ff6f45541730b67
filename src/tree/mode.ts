/**
 * POSIX file type bits of st_mode (the values Linux and EROFS use). A contract module: the Wasm
 * builder gets these values from assembly/contract/mode.ts, which assembly/generate-contract.ts
 * writes from this file (docs/ARCHITECTURE.md, "The Wasm contract").
 */

/** The Wasm type of each constant (an AssemblyScript name; a number in TypeScript). */
type u32 = number;

export const S_IFMT: u32 = 0o170000;
export const S_IFSOCK: u32 = 0o140000;
export const S_IFLNK: u32 = 0o120000;
export const S_IFREG: u32 = 0o100000;
export const S_IFBLK: u32 = 0o060000;
export const S_IFDIR: u32 = 0o040000;
export const S_IFCHR: u32 = 0o020000;
export const S_IFIFO: u32 = 0o010000;
