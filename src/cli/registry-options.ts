/** The registry flags of the commands that take a `docker://` source (skopeo's names). */
import type { OptionTable } from './args.js';

export const REGISTRY_OPTIONS = {
  'tls-verify': { type: 'string', value: 'BOOL', help: 'docker:// sources: require HTTPS and a verified certificate (default true)' },
  authfile: { type: 'string', value: 'FILE', help: 'docker:// sources: credentials file (default: $REGISTRY_AUTH_FILE,\n$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)' },
  creds: { type: 'string', value: 'USER:PASS', help: 'docker:// sources: credentials' },
  platform: { type: 'string', value: 'OS/ARCH[/V]', help: 'docker:// sources: the image of an index (default linux/host arch)' },
} satisfies OptionTable;
