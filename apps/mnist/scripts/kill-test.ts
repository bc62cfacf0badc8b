// The kill test at length: rounds of test/kill.node.test.ts's test (10 kills each, half of
// them in the middle of a file's write), each round in a fresh --out folder with its own seed,
// every round's resumed result compared with one run never killed. Prints a line per kill and
// the problems found; exits 1 if there were any.
//
//   pnpm --filter @dl/app-mnist build
//   pnpm --filter @dl/app-mnist kill-test [rounds (10)] [first seed (1)]

import { rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { runCli, tempDir } from '../test/cli.ts';
import { killTest, killTestArgs, runContents } from '../test/kill.ts';

const rounds = Number(process.argv[2] ?? 10);
const firstSeed = Number(process.argv[3] ?? 1);
const epochs = 6;

const straight = tempDir('kill-reference');
const reference = await runCli([...killTestArgs(epochs), '--out', straight]);
if (reference.code !== 0) throw new Error(`the reference run failed: ${reference.stderr}`);
const expected = await runContents(straight);

let kills = 0;
let killed = 0;
let midWrite = 0;
const problems: string[] = [];
for (let round = 0; round < rounds; round++) {
  const seed = firstSeed + round;
  const dir = tempDir(`kill-${seed}`);
  const result = await killTest(dir, {
    seed,
    kills: 10,
    epochs,
    pauseMs: 60,
    maxDelayMs: 1500,
    log: (line) => console.log(`seed ${seed}, ${line}`),
  });
  kills += result.kills.length;
  killed += result.kills.filter((k) => k.killed).length;
  midWrite += result.kills.filter((k) => k.leftTemporaries.length > 0).length;
  const found = [...result.problems];
  if (found.length === 0 && !isDeepStrictEqual(await runContents(dir), expected)) {
    found.push('the resumed run differs from the run never killed');
  }
  for (const p of found) console.log(`seed ${seed}: PROBLEM ${p}`);
  // Kept for a look when something was wrong.
  if (found.length === 0) rmSync(dir, { recursive: true, force: true });
  else console.log(`seed ${seed}: the files are in ${dir}`);
  problems.push(...found.map((p) => `seed ${seed}: ${p}`));
}
console.log(
  `${rounds} rounds, ${kills} runs, ${killed} killed, ${midWrite} killed during a write; ${problems.length} problems`,
);
rmSync(straight, { recursive: true, force: true });
process.exitCode = problems.length > 0 ? 1 : 0;
