// The transfer-learning example on a small scale: a backbone trained on MNIST digits, saved
// and loaded through safetensors, frozen, with a new head fine-tuned on Fashion-MNIST. The
// head must learn (accuracy well above the untrained head's) and the backbone must not move.

import type { Backend } from '@dl/tensor';
import { webgpu } from '@dl/webgpu';
import { describe, expect, inject, it } from 'vitest';
import { transferLearning } from '../src/transfer.js';

async function device(): Promise<Backend | 'cpu'> {
  try {
    return await webgpu();
  } catch (error) {
    if (inject('requireWebGPU')) throw error;
    return 'cpu';
  }
}

describe('transfer learning', () => {
  it('fine-tunes a new head on a frozen, reloaded backbone', async () => {
    const lines: string[] = [];
    const result = await transferLearning({
      device: await device(),
      pretrainImages: 384,
      fineTuneImages: 512,
      fineTuneEpochs: 3,
      testImages: 500,
      seed: 0,
      log: (line) => lines.push(line),
    });
    expect(result.trainable).toBe(128 * 10 + 10);
    expect(result.frozen).toBe(1_199_882 - 1290);
    expect(result.backboneUnchanged).toBe(true);
    expect(result.after).toBeGreaterThan(result.before + 0.1);
    expect(lines.some((line) => line.includes('after fine-tuning the head'))).toBe(true);
  }, 180_000);
});
