/**
 * Open-addressing hash tables on raw bytes for the dumpfile parser: directories by path, children
 * by (parent, name), and interned xattr strings. Capacities are powers of two kept at most half full.
 */
import { compareBytes, compareMemory, equalMemory, Node } from '../tree';

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

/**
 * Open addressing with linear probing: entries with their hashes, the capacity a power of two kept
 * at most half full. Lookups probe from `first(hash)` with `next` until an empty slot.
 */
class Slots<T> {
  mask: i32 = INITIAL_CAPACITY - 1;
  count: i32 = 0;
  hashes: StaticArray<u32> = new StaticArray<u32>(INITIAL_CAPACITY);
  entries: StaticArray<T | null> = new StaticArray<T | null>(INITIAL_CAPACITY);

  // @ts-ignore: decorator
  @inline first(hash: u32): i32 {
    return <i32>hash & this.mask;
  }

  // @ts-ignore: decorator
  @inline next(i: i32): i32 {
    return (i + 1) & this.mask;
  }

  /** Adds an entry (not present yet). */
  add(hash: u32, entry: T): void {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.count++;
    this.put(hash, entry);
  }

  private put(hash: u32, entry: T): void {
    let i = this.first(hash);
    while (unchecked(this.entries[i])) i = this.next(i);
    unchecked(this.hashes[i] = hash);
    unchecked(this.entries[i] = entry);
  }

  private grow(): void {
    const hashes = this.hashes;
    const entries = this.entries;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.hashes = new StaticArray<u32>(size);
    this.entries = new StaticArray<T | null>(size);
    for (let i = 0; i < entries.length; i++) {
      const e = unchecked(entries[i]);
      if (e) this.put(unchecked(hashes[i]), e);
    }
  }
}

// @ts-ignore: decorator
@inline function sameBytes(key: Uint8Array, ptr: usize, len: i32): bool {
  return key.length == len && equalMemory(key.dataStart, ptr, len);
}

class DirEntry {
  constructor(public key: Uint8Array, public node: Node) {}
}

/** Directories by the exact bytes of a path naming them (the parser's parent lookup). */
export class PathTable {
  /** The key of the last successful `get`. */
  foundKey: Uint8Array | null = null;
  private readonly slots: Slots<DirEntry> = new Slots<DirEntry>();

  get(ptr: usize, len: i32, hash: u32): Node | null {
    const s = this.slots;
    let i = s.first(hash);
    for (let e = unchecked(s.entries[i]); e; e = unchecked(s.entries[i])) {
      if (unchecked(s.hashes[i]) == hash && sameBytes(e.key, ptr, len)) {
        this.foundKey = e.key;
        return e.node;
      }
      i = s.next(i);
    }
    return null;
  }

  /** Adds a path not present yet; `key` must outlive the parse. */
  set(key: Uint8Array, hash: u32, node: Node): void {
    this.slots.add(hash, new DirEntry(key, node));
  }
}

/**
 * Children by (parent, name): duplicate names and path walks. Children arriving in increasing
 * name order (every sorted dump) are only appended and found by binary search; a directory whose
 * children come out of order is indexed in a hash table from then on.
 */
export class ChildTable {
  private readonly slots: Slots<Node> = new Slots<Node>();
  private readonly indexed: Set<usize> = new Set<usize>();

  /** The child of `parent` named by the `len` bytes at `ptr`. */
  get(parent: Node, ptr: usize, len: i32): Node | null {
    const children = parent.children;
    if (!children) return null;
    if (!this.isIndexed(parent)) return ChildTable.search(children, ptr, len);
    const hash = ChildTable.hash(parent, ptr, len);
    const s = this.slots;
    let i = s.first(hash);
    for (let n = unchecked(s.entries[i]); n; n = unchecked(s.entries[i])) {
      if (unchecked(s.hashes[i]) == hash && n.parent === parent && sameBytes(n.name, ptr, len)) return n;
      i = s.next(i);
    }
    return null;
  }

  /** Links `child` under the directory `parent`; false when the name exists already. */
  add(parent: Node, child: Node): bool {
    const children = parent.children!;
    const name = child.name;
    if (!this.isIndexed(parent)) {
      const n = children.length;
      if (n == 0 || compareBytes(unchecked(children[n - 1]).name, name) < 0) {
        child.parent = parent;
        children.push(child);
        return true;
      }
      this.indexed.add(changetype<usize>(parent));
      for (let i = 0; i < n; i++) this.index(unchecked(children[i]));
    }
    if (this.get(parent, name.dataStart, name.length)) return false;
    child.parent = parent;
    this.index(child);
    children.push(child);
    return true;
  }

  // @ts-ignore: decorator
  @inline private isIndexed(dir: Node): bool {
    return this.indexed.size != 0 && this.indexed.has(changetype<usize>(dir));
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
  private index(node: Node): void {
    this.slots.add(ChildTable.hash(node.parent!, node.name.dataStart, node.name.length), node);
  }
}

/** Distinct xattr keys and values, so repeated ones share one array (bounded: past LIMIT strings, new ones are not kept). */
export class Interner {
  private static readonly LIMIT: i32 = 1 << 14;
  private readonly slots: Slots<Uint8Array> = new Slots<Uint8Array>();

  /** The remembered string equal to the `len` bytes at `ptr`, or null. */
  find(ptr: usize, len: i32, hash: u32): Uint8Array | null {
    const s = this.slots;
    let i = s.first(hash);
    for (let e = unchecked(s.entries[i]); e; e = unchecked(s.entries[i])) {
      if (unchecked(s.hashes[i]) == hash && sameBytes(e, ptr, len)) return e;
      i = s.next(i);
    }
    return null;
  }

  /** Remembers `s` (not present yet), up to LIMIT strings. */
  remember(s: Uint8Array, hash: u32): void {
    if (this.slots.count < Interner.LIMIT) this.slots.add(hash, s);
  }
}
