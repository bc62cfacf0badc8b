// Runs one example by its name or number, passing the remaining arguments on:
// `pnpm example 04-autograd --device webgpu` or `pnpm example 4` (at the repository root, or
// `pnpm example ...` in this folder). Without a name, lists the examples.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const folder = import.meta.dirname;
const examples = readdirSync(folder)
  .filter((name) => /^\d\d-[\w-]+\.ts$/.test(name))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name.startsWith('-')) {
  console.log('usage: pnpm example <name or number> [--device cpu|webgpu]\n');
  for (const example of examples) console.log(`  ${example.replace(/\.ts$/, '')}`);
  process.exit(name === undefined ? 0 : 1);
}

const wanted = name.replace(/\.ts$/, '');
const number = /^\d+$/.test(wanted) ? wanted.padStart(2, '0') : undefined;
const file = examples.find((example) =>
  number === undefined ? example === `${wanted}.ts` : example.startsWith(`${number}-`),
);
if (file === undefined) {
  console.error(`no example '${name}'; the examples are:\n  ${examples.join('\n  ')}`);
  process.exit(1);
}

// The example reads its own arguments (--device) from process.argv, as when run directly.
process.argv.splice(2, process.argv.length - 2, ...rest);
await import(pathToFileURL(join(folder, file)).href);
