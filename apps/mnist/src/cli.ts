#!/usr/bin/env node
// dl-mnist: train, evaluate and run the MNIST CNN from the command line (see main.ts).
// Ctrl-C asks training to stop after the current step; a second Ctrl-C exits at once. Either
// way the files on disk are whole: they are only ever replaced by an atomic rename (files.ts).

import { main } from './main.js';

// Output closed by its reader (`dl-mnist train | head`): end as a Unix tool killed by SIGPIPE
// would (128 + 13), without a stack trace; files being written are left as a kill leaves them.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}

let stops = 0;
process.on('SIGINT', () => {
  stops++;
  if (stops === 1) {
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)\n');
  } else {
    process.exit(130);
  }
});

const code = await main(process.argv.slice(2), {
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr.isTTY === true,
  stopRequested: () => stops > 0,
});
process.exitCode = code;
