// The conformance suite on the CPU backend: the default one (tensors in WebAssembly memory,
// WebAssembly kernels where they exist) and the JavaScript reference ({ wasm: false }).
import { CpuBackend, cpu } from '@dl/tensor';
import { conformanceCases } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';

const backends = [
  ['the CPU', cpu],
  ['the JavaScript CPU reference', new CpuBackend({ wasm: false })],
] as const;

for (const [name, device] of backends) {
  describe(`conformance on ${name}`, () => {
    it('has cases', () => {
      expect(conformanceCases.length).toBeGreaterThan(0);
    });
    for (const testCase of conformanceCases) {
      it(testCase.name, () => testCase.run(device));
    }
  });
}
