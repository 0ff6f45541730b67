/**
 * Open-addressing hash tables on raw bytes for the dumpfile parser: directories by path, children
 * by (parent, name), and interned xattr strings. Capacities are powers of two kept at most half full.
 */
import { Node } from '../tree';

const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
const INITIAL_CAPACITY: i32 = 1024;

/** 32-bit FNV-1a of the `len` bytes at `ptr`. */
export function fnv1a(ptr: usize, len: i32): u32 {
  let h = FNV_OFFSET;
  for (let i = 0; i < len; i++) h = (h ^ <u32>load<u8>(ptr + i)) * FNV_PRIME;
  return h;
}

/** The `len` bytes at `a` and `b` are equal. */
export function equalMemory(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

// @ts-ignore: decorator
@inline function sameBytes(key: Uint8Array, ptr: usize, len: i32): bool {
  return key.length == len && equalMemory(key.dataStart, ptr, len);
}

/** Directories by the exact bytes of a path naming them (the parser's parent lookup). */
export class PathTable {
  private mask: i32 = INITIAL_CAPACITY - 1;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  private keys: StaticArray<Uint8Array | null> = new StaticArray<Uint8Array | null>(INITIAL_CAPACITY);
  private nodes: StaticArray<Node | null> = new StaticArray<Node | null>(INITIAL_CAPACITY);

  get(ptr: usize, len: i32, hash: u32): Node | null {
    let i = <i32>hash & this.mask;
    for (let k = unchecked(this.keys[i]); k; k = unchecked(this.keys[i])) {
      if (unchecked(this.hashes[i]) == hash && sameBytes(k, ptr, len)) return unchecked(this.nodes[i]);
      i = (i + 1) & this.mask;
    }
    return null;
  }

  /** Adds a path not present yet; `key` must outlive the parse. */
  set(key: Uint8Array, hash: u32, node: Node): void {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.place(key, hash, node);
    this.count++;
  }

  private place(key: Uint8Array, hash: u32, node: Node): void {
    let i = <i32>hash & this.mask;
    while (unchecked(this.keys[i])) i = (i + 1) & this.mask;
    unchecked(this.hashes[i] = hash);
    unchecked(this.keys[i] = key);
    unchecked(this.nodes[i] = node);
  }

  private grow(): void {
    const hashes = this.hashes;
    const keys = this.keys;
    const nodes = this.nodes;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.hashes = new StaticArray<u32>(size);
    this.keys = new StaticArray<Uint8Array | null>(size);
    this.nodes = new StaticArray<Node | null>(size);
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      if (k) this.place(k, unchecked(hashes[i]), unchecked(nodes[i])!);
    }
  }
}

/** Every directory entry by (parent, name): duplicate names and path walks. */
export class ChildTable {
  private mask: i32 = INITIAL_CAPACITY - 1;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  private nodes: StaticArray<Node | null> = new StaticArray<Node | null>(INITIAL_CAPACITY);

  /** The child of `parent` named by the `len` bytes at `ptr`. */
  get(parent: Node, ptr: usize, len: i32): Node | null {
    const hash = ChildTable.hash(parent, ptr, len);
    let i = <i32>hash & this.mask;
    for (let n = unchecked(this.nodes[i]); n; n = unchecked(this.nodes[i])) {
      if (unchecked(this.hashes[i]) == hash && n.parent === parent && sameBytes(n.name, ptr, len)) return n;
      i = (i + 1) & this.mask;
    }
    return null;
  }

  /** Links `child` under the directory `parent`; false when the name exists already. */
  add(parent: Node, child: Node): bool {
    const name = child.name;
    if (this.get(parent, name.dataStart, name.length)) return false;
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    child.parent = parent;
    this.place(child, ChildTable.hash(parent, name.dataStart, name.length));
    this.count++;
    parent.children!.push(child);
    return true;
  }

  private static hash(parent: Node, ptr: usize, len: i32): u32 {
    return fnv1a(ptr, len) ^ (<u32>changetype<usize>(parent) * 0x9e3779b1);
  }

  private place(node: Node, hash: u32): void {
    let i = <i32>hash & this.mask;
    while (unchecked(this.nodes[i])) i = (i + 1) & this.mask;
    unchecked(this.hashes[i] = hash);
    unchecked(this.nodes[i] = node);
  }

  private grow(): void {
    const hashes = this.hashes;
    const nodes = this.nodes;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.hashes = new StaticArray<u32>(size);
    this.nodes = new StaticArray<Node | null>(size);
    for (let i = 0; i < nodes.length; i++) {
      const n = unchecked(nodes[i]);
      if (n) this.place(n, unchecked(hashes[i]));
    }
  }
}

/** Distinct xattr keys and values, so repeated ones share one array (bounded: unique values are not kept). */
export class Interner {
  private static readonly CAPACITY: i32 = 1 << 15;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(Interner.CAPACITY);
  private strings: StaticArray<Uint8Array | null> = new StaticArray<Uint8Array | null>(Interner.CAPACITY);

  /** The remembered string equal to the `len` bytes at `ptr`, or null. */
  find(ptr: usize, len: i32, hash: u32): Uint8Array | null {
    const mask = Interner.CAPACITY - 1;
    let i = <i32>hash & mask;
    for (let s = unchecked(this.strings[i]); s; s = unchecked(this.strings[i])) {
      if (unchecked(this.hashes[i]) == hash && sameBytes(s, ptr, len)) return s;
      i = (i + 1) & mask;
    }
    return null;
  }

  /** Remembers `s` (not present yet) while the table is at most half full. */
  remember(s: Uint8Array, hash: u32): void {
    if (2 * this.count >= Interner.CAPACITY) return;
    const mask = Interner.CAPACITY - 1;
    let i = <i32>hash & mask;
    while (unchecked(this.strings[i])) i = (i + 1) & mask;
    unchecked(this.hashes[i] = hash);
    unchecked(this.strings[i] = s);
    this.count++;
  }
}
