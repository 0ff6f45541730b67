/**
 * Where a registry image came from, as recorded in its stub commit's metadata and in the
 * deployment's origin (docs/FORMAT.md "Registry").
 */
import type { VarDict } from '../formats/gvariant.js';
import type { Commit } from '../ostree/formats.js';

/** The image manifest's digest (the key ostree-rs-ext uses). */
export const META_MANIFEST_DIGEST = 'ostree.manifest-digest';
/** The reference pulled, `docker://…`. */
export const META_IMAGE_REFERENCE = 'cfskit.container-image-reference';
/** The digest of the index or manifest list the tag named, when the image came through one. */
export const META_INDEX_DIGEST = 'cfskit.container-index-digest';
/** Origin key (group `[origin]`) of a deployment that follows a registry reference. */
export const ORIGIN_IMAGE_REFERENCE = 'container-image-reference';

export interface Provenance {
  /** Canonical `docker://` reference. */
  reference: string;
  manifestDigest: string;
  indexDigest?: string;
}

export function provenanceMetadata(p: Provenance): VarDict {
  const meta: VarDict = [
    [META_IMAGE_REFERENCE, { type: 's', value: p.reference }],
    [META_MANIFEST_DIGEST, { type: 's', value: p.manifestDigest }],
  ];
  if (p.indexDigest !== undefined) meta.push([META_INDEX_DIGEST, { type: 's', value: p.indexDigest }]);
  return meta;
}

/** The provenance a stub commit records, if any. */
export function commitProvenance(commit: Commit): Provenance | undefined {
  const get = (key: string): string | undefined => {
    const v = commit.metadata.find(([k]) => k === key)?.[1];
    return v && v.type === 's' && typeof v.value === 'string' ? v.value : undefined;
  };
  const reference = get(META_IMAGE_REFERENCE);
  const manifestDigest = get(META_MANIFEST_DIGEST);
  if (reference === undefined || manifestDigest === undefined) return undefined;
  return { reference, manifestDigest, indexDigest: get(META_INDEX_DIGEST) };
}
