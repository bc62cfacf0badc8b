// The tensor conformance suite (the same cases the CPU backend passes) on WebGPU, in Node
// (Dawn on lavapipe) and in Chromium (SwiftShader).
import { conformanceCases } from '@dl/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();

describe.skipIf(!device)(`conformance on WebGPU in ${runtime}`, () => {
  afterAll(() => device?.destroy());
  it('has cases', () => {
    expect(conformanceCases.length).toBeGreaterThan(0);
  });
  for (const testCase of conformanceCases) {
    it(testCase.name, () => testCase.run(device!));
  }
});
