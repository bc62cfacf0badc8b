// The conformance suite on the CPU backend.
import { cpu } from '@dl/tensor';
import { conformanceCases } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';

describe('conformance on the CPU', () => {
  it('has cases', () => {
    expect(conformanceCases.length).toBeGreaterThan(0);
  });
  for (const testCase of conformanceCases) {
    it(testCase.name, () => testCase.run(cpu));
  }
});
