/**
 * Depth-first pre-order walk of a tree with children in strcmp name order, the order in which
 * composefs-info prints (composefs-image.md §3.7): C keeps children sorted, our Node keeps insertion order.
 * Iterative, so a deep tree cannot overflow the stack, and with one shared path buffer, so a
 * deep tree costs memory for its longest path only.
 */
import { Node, compareBytes } from './tree.js';

export interface Visit {
  node: Node;
  /** "" for the root, otherwise "/a/b" (raw bytes). A view, valid until the walk moves on. */
  path: Uint8Array;
}

const SLASH = 0x2f;

interface Frame {
  children: Node[];
  next: number;
  /** Length of this directory's path in the buffer. */
  pathLength: number;
}

export function* preorder(root: Node): Generator<Visit> {
  let buf = new Uint8Array(4096);
  yield { node: root, path: buf.subarray(0, 0) };
  const stack: Frame[] = [{ children: sortedChildren(root), next: 0, pathLength: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.children.length) {
      stack.pop();
      continue;
    }
    const child = frame.children[frame.next++];
    const length = frame.pathLength + 1 + child.name.length;
    if (length > buf.length) {
      const grown = new Uint8Array(Math.max(length, buf.length * 2));
      grown.set(buf.subarray(0, frame.pathLength));
      buf = grown;
    }
    buf[frame.pathLength] = SLASH;
    buf.set(child.name, frame.pathLength + 1);
    yield { node: child, path: buf.subarray(0, length) };
    if (child.children && child.children.length > 0) {
      stack.push({ children: sortedChildren(child), next: 0, pathLength: length });
    }
  }
}

function sortedChildren(node: Node): Node[] {
  const children = node.children;
  if (!children) return [];
  for (let i = 1; i < children.length; i++) {
    if (compareBytes(children[i - 1].name, children[i].name) > 0) {
      return [...children].sort((a, b) => compareBytes(a.name, b.name));
    }
  }
  return children;
}

/** The path C's node_build_path gives a hardlink target: names joined by "/", "" for the root. */
export function targetPath(node: Node): Uint8Array {
  return node.parent ? node.path() : new Uint8Array(0);
}
