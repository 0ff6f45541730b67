/** `cfskit admin unpin INDEX [--sysroot DIR]` = `ostree admin pin --unpin INDEX`. */
import { runPin } from './pin.js';

export { unpinSpec as spec } from './pin.js';

export const run = (args: string[]) => runPin(args, true);
