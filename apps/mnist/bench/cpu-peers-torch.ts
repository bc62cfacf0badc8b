// PyTorch's side of cpu-peers.bench.ts: runs cpu_peers_torch.py (the same workloads with
// PyTorch on the CPU, 2 threads) on the fixture folder, in a process of its own after the
// JavaScript sides, and checks that it computed what dl did.

import { execFileSync } from 'node:child_process';
import { checkLosses } from './side.ts';

/** PyTorch's figures (cpu_peers_torch.py's JSON), or why there are none. */
export interface TorchFigures {
  version: string;
  threads: number;
  matmul?: number;
  matmulError?: number;
  mlp?: number;
  mlpLosses?: number[];
  cnnTrain?: number;
  cnnLosses?: number[];
  cnnInfer?: number;
  inferenceError?: number;
  add?: number;
  memoryMB?: number;
}

const python = '/usr/bin/python3';

/** Runs cpu_peers_torch.py on the fixture, or says why PyTorch is unavailable. */
export function runTorch(folder: string, rows: readonly string[]): TorchFigures | string {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return `PyTorch unavailable (${python} -c 'import torch' failed)`;
  }
  const script = new URL('./cpu_peers_torch.py', import.meta.url).pathname;
  const run = (extra: string[]) =>
    JSON.parse(
      execFileSync(python, [script, folder, ...extra], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!,
    );
  // The script's own output (cpu_peers_torch.py).
  const figures = run([...rows]) as TorchFigures;
  if (rows.includes('cnn-infer'))
    figures.memoryMB = (run(['--memory']) as { peakMB: number }).peakMB;
  return figures;
}

/** Fails unless PyTorch computed what dl did (the same checks as the JavaScript peers'). */
export function checkTorch(
  torch: TorchFigures,
  dlLosses: Partial<Record<'mlp' | 'cnn', number[]>>,
): void {
  if (torch.matmulError !== undefined && !(torch.matmulError <= 1e-5)) {
    throw new Error(`matmul: PyTorch differs from float64 by ${torch.matmulError} of the scale`);
  }
  if (torch.mlpLosses && dlLosses.mlp)
    checkLosses('MLP', 'PyTorch', torch.mlpLosses, dlLosses.mlp[0]!);
  if (torch.cnnLosses && dlLosses.cnn)
    checkLosses('CNN', 'PyTorch', torch.cnnLosses, dlLosses.cnn[0]!);
  if (torch.inferenceError !== undefined && !(torch.inferenceError <= 1e-3)) {
    throw new Error(`inference: PyTorch's outputs differ from dl cpu's by ${torch.inferenceError}`);
  }
}
