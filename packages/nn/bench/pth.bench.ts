// Loading a 100 MB torch.save file with dl's load() against PyTorch's torch.load, in the same
// run: ResNet-50's state dict (320 tensors, 25.6M float32 values; random weights), written by
// PyTorch in both formats to a temporary folder. Each loader runs in a fresh process that loads
// the file five times: the best time, and the process's peak RSS above its RSS before the first
// load. Needs python3 with torch (PYTHON, /usr/bin/python3 by default); without it the bench
// says so and stops. Run with `pnpm --filter @dl/nn bench` (it loads the built dist/).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostLine } from '../../../tooling/bench/peers.node.ts';

const python = process.env['PYTHON'] ?? '/usr/bin/python3';
const repeats = 5;

/** Writes ResNet-50's state dict (torchvision's key names and shapes) in both formats. */
const write = `
import sys, torch
from collections import OrderedDict
torch.manual_seed(0)
sd = OrderedDict()
def conv(name, cin, cout, k): sd[name + '.weight'] = torch.randn(cout, cin, k, k) * 0.05
def bn(name, c):
    sd[name + '.weight'] = torch.rand(c) + 0.5
    sd[name + '.bias'] = torch.randn(c) * 0.1
    sd[name + '.running_mean'] = torch.randn(c) * 0.1
    sd[name + '.running_var'] = torch.rand(c) + 0.5
    sd[name + '.num_batches_tracked'] = torch.tensor(1000)
conv('conv1', 3, 64, 7); bn('bn1', 64)
cin = 64
for layer, (blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], 1):
    for b in range(blocks):
        p = f'layer{layer}.{b}'
        conv(p + '.conv1', cin, width, 1); bn(p + '.bn1', width)
        conv(p + '.conv2', width, width, 3); bn(p + '.bn2', width)
        conv(p + '.conv3', width, width * 4, 1); bn(p + '.bn3', width * 4)
        if b == 0:
            conv(p + '.downsample.0', cin, width * 4, 1); bn(p + '.downsample.1', width * 4)
        cin = width * 4
sd['fc.weight'] = torch.randn(1000, 2048) * 0.02
sd['fc.bias'] = torch.zeros(1000)
torch.save(sd, sys.argv[1] + '/resnet50.pth')
torch.save(sd, sys.argv[1] + '/resnet50.legacy.pth', _use_new_zipfile_serialization=False)
`;

/** Prints JSON: best load time (ms), RSS before loading and peak RSS (bytes), keys and values. */
const loadWithTorch = `
import json, os, resource, sys, time, torch
rss = lambda: int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
before = rss()
best = float('inf')
for _ in range(${repeats}):
    start = time.perf_counter()
    sd = torch.load(sys.argv[1])
    best = min(best, (time.perf_counter() - start) * 1000)
    keys, total = len(sd), sum(float(t.double().sum()) for t in sd.values())
    del sd
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({'ms': best, 'before': before, 'peak': peak, 'keys': keys, 'sum': total}))
`;

const loadWithDl = (file: string) => `
const { load } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', 'dist', 'node.js')).href)});
const before = process.memoryUsage().rss;
let best = Infinity, keys = 0, sum = 0;
for (let i = 0; i < ${repeats}; i++) {
  const start = performance.now();
  let state = await load(${JSON.stringify(file)});
  best = Math.min(best, performance.now() - start);
  keys = state.size;
  sum = 0;
  for (const t of state.values()) for (const v of t.dataSync()) sum += v;
  state = undefined;
  globalThis.gc();
}
const peak = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ ms: best, before, peak, keys, sum }));
`;

interface Measured {
  ms: number;
  before: number;
  peak: number;
  keys: number;
  sum: number;
}

function run(command: string, args: string[]): Measured {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.slice(0, 2).join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Measured; // the child prints this shape
}

const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
  encoding: 'utf8',
});
if (probe.status !== 0) {
  console.log(`pth bench: ${python} cannot import torch; nothing measured`);
  process.exit(0);
}

const folder = mkdtempSync(join(tmpdir(), 'dl-pth-bench-'));
try {
  const written = spawnSync(python, ['-c', write, folder], { encoding: 'utf8' });
  if (written.status !== 0) throw new Error(`writing the files failed: ${written.stderr}`);
  console.log(
    `torch.save files of ResNet-50's state dict: PyTorch ${probe.stdout.trim()}, ${hostLine()}`,
  );
  console.log(
    'file                  size    torch.load   dl load   dl/torch   peak RSS above start (torch, dl)',
  );
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  for (const name of ['resnet50.pth', 'resnet50.legacy.pth']) {
    const file = join(folder, name);
    const torch = run(python, ['-c', loadWithTorch, file]);
    const dl = run(process.execPath, [
      '--expose-gc',
      '--input-type=module',
      '-e',
      loadWithDl(file),
    ]);
    if (dl.keys !== torch.keys || Math.abs(dl.sum - torch.sum) > 1e-6 * Math.abs(torch.sum) + 1e-3)
      throw new Error(
        `${name}: dl read ${dl.keys} tensors summing to ${dl.sum}, torch ${torch.keys} summing to ${torch.sum}`,
      );
    console.log(
      `${name.padEnd(20)} ${mb(statSync(file).size).padStart(6)} ${`${torch.ms.toFixed(0)} ms`.padStart(12)} ${`${dl.ms.toFixed(0)} ms`.padStart(9)} ${(dl.ms / torch.ms).toFixed(2).padStart(9)}x   ${mb(torch.peak - torch.before)}, ${mb(dl.peak - dl.before)}`,
    );
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
