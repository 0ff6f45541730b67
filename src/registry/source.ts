/** Every image source, `docker://` references included: the registry is the one source above the store. */
import type { Node } from '../tree/tree.js';
import { loadLocalSource, loadOciRef, type SourceSpec } from '../composefs/sources/index.js';
import { loadRegistryImage } from './pull.js';
import { isDockerReference } from './reference.js';

export async function loadSource(spec: SourceSpec): Promise<Node> {
  const registry = spec.options?.registry ?? {};
  return loadLocalSource(spec, async (ref, opts) => (isDockerReference(ref) ? (await loadRegistryImage(ref, registry, opts)).root : loadOciRef(ref, opts)));
}
