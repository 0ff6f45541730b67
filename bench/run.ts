/**
 * `npm run bench -- NAME [ARGS...]` runs bench/NAME.ts (which does its work when imported, reading
 * its own flags from process.argv).
 */
const [name] = process.argv.splice(2, 1);
if (!name || !/^[\w-]+$/.test(name)) {
  process.stderr.write('Usage: npm run bench -- NAME [ARGS...]   (runs bench/NAME.ts)\n');
  process.exit(1);
}
await import(new URL(`./${name}.ts`, import.meta.url).href);
