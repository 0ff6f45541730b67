/**
 * Depth-first pre-order walk of a tree with children in strcmp name order, the order in which
 * composefs-info prints (spec §3.7): C keeps children sorted, our Node keeps insertion order.
 * Iterative, so a deep tree cannot overflow the stack.
 */
import { Node, compareBytes } from './tree.js';

export interface Visit {
  node: Node;
  /** "" for the root, otherwise "/a/b" (raw bytes). */
  path: Uint8Array;
}

const SLASH = 0x2f;

export function* preorder(root: Node): Generator<Visit> {
  const stack: Visit[] = [{ node: root, path: new Uint8Array(0) }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    yield visit;
    const children = sortedChildren(visit.node);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      const path = new Uint8Array(visit.path.length + 1 + child.name.length);
      path.set(visit.path);
      path[visit.path.length] = SLASH;
      path.set(child.name, visit.path.length + 1);
      stack.push({ node: child, path });
    }
  }
}

function sortedChildren(node: Node): Node[] {
  const children = node.children;
  if (!children || children.length === 0) return [];
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
