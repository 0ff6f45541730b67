/**
 * Child process of memory.test.ts: digests FILE through one API and prints
 * `{"text": digest, "vmHwmKiB": peak RSS}` (VmHWM of /proc/self/status, all threads included).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { digestFile, digestStream } from '../../src/fsverity/index.js';

const [mode, file] = process.argv.slice(2);
const digest = mode === 'stream' ? await digestStream(createReadStream(file)) : await digestFile(file);
const vmHwmKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
process.stdout.write(JSON.stringify({ text: digest.text, vmHwmKiB }));
