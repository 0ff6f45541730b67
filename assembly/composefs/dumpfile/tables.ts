/**
 * Open-addressing hash tables on raw bytes for the dumpfile parser: directories by path, children
 * by (parent, name), and interned xattr strings. Capacities are powers of two kept at most half full.
 */
import { compareBytes, compareMemory, Node } from '../tree';

const INITIAL_CAPACITY: i32 = 1024;

/** A 32-bit hash of the `len` bytes at `ptr`, 8 bytes at a time (multiply-xorshift mixing). */
export function hashBytes(ptr: usize, len: i32): u32 {
  let h: u64 = <u64>len * 0x9e3779b97f4a7c15;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    h = (h ^ load<u64>(ptr + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 32;
  }
  let tail: u64 = 0;
  for (; i < len; i++) tail = (tail << 8) | <u64>load<u8>(ptr + i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53;
  h ^= h >> 29;
  return <u32>h;
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
  /** The key of the last successful `get`. */
  foundKey: Uint8Array | null = null;
  private mask: i32 = INITIAL_CAPACITY - 1;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  private keys: StaticArray<Uint8Array | null> = new StaticArray<Uint8Array | null>(INITIAL_CAPACITY);
  private nodes: StaticArray<Node | null> = new StaticArray<Node | null>(INITIAL_CAPACITY);

  get(ptr: usize, len: i32, hash: u32): Node | null {
    let i = <i32>hash & this.mask;
    for (let k = unchecked(this.keys[i]); k; k = unchecked(this.keys[i])) {
      if (unchecked(this.hashes[i]) == hash && sameBytes(k, ptr, len)) {
        this.foundKey = k;
        return unchecked(this.nodes[i]);
      }
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

/**
 * Children by (parent, name): duplicate names and path walks. Children arriving in increasing
 * name order (every sorted dump) are only appended and found by binary search; a directory whose
 * children come out of order is indexed in a hash table from then on.
 */
export class ChildTable {
  private mask: i32 = INITIAL_CAPACITY - 1;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  private nodes: StaticArray<Node | null> = new StaticArray<Node | null>(INITIAL_CAPACITY);
  private readonly indexed: Set<usize> = new Set<usize>();

  /** The child of `parent` named by the `len` bytes at `ptr`. */
  get(parent: Node, ptr: usize, len: i32): Node | null {
    const children = parent.children;
    if (!children) return null;
    if (this.indexed.size == 0 || !this.indexed.has(changetype<usize>(parent))) return ChildTable.search(children, ptr, len);
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
    const children = parent.children!;
    const name = child.name;
    if (this.indexed.size == 0 || !this.indexed.has(changetype<usize>(parent))) {
      const n = children.length;
      if (n == 0 || compareBytes(unchecked(children[n - 1]).name, name) < 0) {
        child.parent = parent;
        children.push(child);
        return true;
      }
      this.indexed.add(changetype<usize>(parent));
      for (let i = 0; i < n; i++) this.place(unchecked(children[i]));
    }
    if (this.get(parent, name.dataStart, name.length)) return false;
    child.parent = parent;
    this.place(child);
    children.push(child);
    return true;
  }

  /** Binary search of children in increasing name order. */
  private static search(children: Array<Node>, ptr: usize, len: i32): Node | null {
    let lo = 0;
    let hi = children.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = unchecked(children[mid]);
      const d = compareMemory(c.name.dataStart, c.name.length, ptr, len);
      if (d == 0) return c;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return null;
  }

  private static hash(parent: Node, ptr: usize, len: i32): u32 {
    return hashBytes(ptr, len) ^ (<u32>changetype<usize>(parent) * 0x9e3779b1);
  }

  /** Enters a linked child (its parent set). */
  private place(node: Node): void {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.count++;
    this.put(node, ChildTable.hash(node.parent!, node.name.dataStart, node.name.length));
  }

  private put(node: Node, hash: u32): void {
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
      if (n) this.put(n, unchecked(hashes[i]));
    }
  }
}

/** Distinct xattr keys and values, so repeated ones share one array (bounded: past LIMIT strings, new ones are not kept). */
export class Interner {
  private static readonly LIMIT: i32 = 1 << 14;
  private mask: i32 = INITIAL_CAPACITY - 1;
  private count: i32 = 0;
  private hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  private strings: StaticArray<Uint8Array | null> = new StaticArray<Uint8Array | null>(INITIAL_CAPACITY);

  /** The remembered string equal to the `len` bytes at `ptr`, or null. */
  find(ptr: usize, len: i32, hash: u32): Uint8Array | null {
    let i = <i32>hash & this.mask;
    for (let s = unchecked(this.strings[i]); s; s = unchecked(this.strings[i])) {
      if (unchecked(this.hashes[i]) == hash && sameBytes(s, ptr, len)) return s;
      i = (i + 1) & this.mask;
    }
    return null;
  }

  /** Remembers `s` (not present yet), up to LIMIT strings. */
  remember(s: Uint8Array, hash: u32): void {
    if (this.count == Interner.LIMIT) return;
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.count++;
    this.put(s, hash);
  }

  private put(s: Uint8Array, hash: u32): void {
    let i = <i32>hash & this.mask;
    while (unchecked(this.strings[i])) i = (i + 1) & this.mask;
    unchecked(this.hashes[i] = hash);
    unchecked(this.strings[i] = s);
  }

  private grow(): void {
    const hashes = this.hashes;
    const strings = this.strings;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.hashes = new StaticArray<u32>(size);
    this.strings = new StaticArray<Uint8Array | null>(size);
    for (let i = 0; i < strings.length; i++) {
      const s = unchecked(strings[i]);
      if (s) this.put(s, unchecked(hashes[i]));
    }
  }
}
