/**
 * Image references as containers-transports spell them: `docker://HOST[:PORT]/NAME[:TAG][@DIGEST]`.
 * A first component without '.', ':' and other than `localhost` is a Docker Hub name
 * (`docker://fedora` = `docker.io/library/fedora:latest`), as docker and skopeo read it.
 */
import { CfsError } from '../errors.js';

export const DOCKER_TRANSPORT = 'docker://';
const DOCKER_HUB = 'docker.io';
/** Docker Hub's API lives on another host than its name. */
const DOCKER_HUB_API = 'registry-1.docker.io';
const MAX_REFERENCE = 4096;
const MAX_NAME = 255;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

export interface ImageReference {
  /** The registry as named (`host[:port]`), the key of credentials. */
  registry: string;
  /** The host the API is reached at (`host[:port]`). */
  apiHost: string;
  /** The repository, e.g. `os` or `library/fedora`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const isDockerReference = (text: string): boolean => text.startsWith(DOCKER_TRANSPORT);

/** Parses `docker://…`; every refusal names the reference and the part at fault. */
export function parseReference(text: string): ImageReference {
  const fail = (why: string, field = 'reference'): never => {
    throw new CfsError(why, { file: text.length > 200 ? `${text.slice(0, 200)}…` : text, field, code: 'EREFERENCE' });
  };
  if (text.length > MAX_REFERENCE) fail(`longer than ${MAX_REFERENCE} bytes`);
  if (!isDockerReference(text)) fail(`not a ${DOCKER_TRANSPORT} reference`, 'transport');
  let rest = text.slice(DOCKER_TRANSPORT.length);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`invalid digest '${digest}' (sha256:64 hex or sha512:128 hex)`, 'digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`invalid tag '${tag}'`, 'tag');
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const explicitHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  let registry = DOCKER_HUB;
  let repository = rest;
  if (explicitHost) {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!HOST.test(registry)) fail(`invalid registry host '${registry}'`, 'host');
    const port = registry.match(/:([0-9]+)$/);
    if (port && (Number(port[1]) === 0 || Number(port[1]) > 65535)) fail(`invalid port ${port[1]}`, 'host');
  } else if (!repository.includes('/')) {
    repository = `library/${repository}`;
  }
  if (repository === '') fail('no repository name', 'name');
  if (repository.length > MAX_NAME) fail(`repository name longer than ${MAX_NAME} bytes`, 'name');
  for (const part of repository.split('/')) {
    if (!COMPONENT.test(part)) fail(`invalid repository name component '${part}' (lowercase letters, digits, separators . _ __ -)`, 'name');
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository, tag, digest };
}

/** The canonical text: `docker://registry/repository[:tag][@digest]`. */
export function formatReference(r: ImageReference): string {
  return `${DOCKER_TRANSPORT}${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** What the manifest endpoint takes: the digest when pinned, else the tag. */
export const manifestRef = (r: ImageReference): string => r.digest ?? r.tag!;
