// In-place ops: each equals its out-of-place op, and without a graph to record an in-place
// elementwise op writes into the tensor itself, leaving no temporary the size of the tensor
// (a batch of 1000 images' convolution output takes its bias this way). Where writing
// directly would read values it has already overwritten (another view of the same storage,
// an expanded target) or a graph is recorded, the op computes out of place first, as before.
import { CpuBackend, cpu, memory, noGrad, type Tensor, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

const backends = [
  ['cpu', cpu],
  ['cpu (JavaScript reference)', new CpuBackend({ wasm: false })],
] as const;

const values = (t: Tensor) => Array.from(t.dataSync());

for (const [name, device] of backends) {
  describe(`in-place ops on ${name}`, () => {
    const x0 = [1.5, -2, 3, 0.25, -0.5, 4];
    const make = () => tensor(x0, { device }).reshape([2, 3]);
    const b = () => tensor([2, -1, 0.5], { device });
    const cases: [string, (t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
      ['add_ (broadcast)', (t) => t.add_(b()), (t) => t.add(b())],
      ['add_ (scalar)', (t) => t.add_(1.25), (t) => t.add(1.25)],
      ['sub_ (alpha)', (t) => t.sub_(b(), { alpha: 3 }), (t) => t.sub(b().mul(3))],
      ['mul_ (itself)', (t) => t.mul_(t), (t) => t.mul(t)],
      ['div_ (floor)', (t) => t.div_(b(), { roundingMode: 'floor' }), (t) => t.div(b()).floor()],
      ['pow_', (t) => t.pow_(2), (t) => t.mul(t)],
      ['neg_', (t) => t.neg_(), (t) => t.mul(-1)],
      ['relu_', (t) => t.relu_(), (t) => t.maximum(tensor(0, { device }))],
      ['sqrt_', (t) => t.abs().sqrt_(), (t) => t.abs().pow(0.5)],
    ];

    for (const [label, inPlace, reference] of cases) {
      it(`${label} equals the out-of-place op and returns the tensor itself`, () => {
        const t = make();
        const expected = values(reference(make()));
        const result = inPlace(t);
        expect(values(result)).toEqual(expected);
        if (label !== 'sqrt_') expect(result).toBe(t);
      });
    }

    it('writes into the tensor without a temporary when no graph is recorded', () => {
      const t = tensor(new Float32Array(4096).fill(1), { device }).reshape([64, 64]);
      const bias = tensor(new Float32Array(64).fill(0.5), { device });
      noGrad(() => {
        const before = memory().storages;
        t.add_(bias).mul_(2).relu_();
        // Not one storage more: no intermediate the size of t was allocated.
        expect(memory().storages).toBe(before);
      });
      expect(values(t).every((v) => v === 3)).toBe(true);
    });

    it('reads another view of its own storage before overwriting it', () => {
      const t = make();
      t.add_(t.flip(1)); // each element needs a value the write would change first
      expect(values(t)).toEqual([1.5 + 3, -2 - 2, 3 + 1.5, 0.25 + 4, -0.5 - 0.5, 4 + 0.25]);
      const u = make();
      u.t().mul_(u.t().flip(0)); // a transposed target and a flipped operand
      // u.t() is [[1.5, 0.25], [-2, -0.5], [3, 4]]; its rows reversed multiply it.
      expect(values(u)).toEqual([1.5 * 3, -2 * -2, 3 * 1.5, 0.25 * 4, -0.5 * -0.5, 4 * 0.25]);
    });

    it('adds once to every element of an expanded target', () => {
      const base = tensor([1, 2, 3], { device }).reshape([1, 3]);
      base.expand([4, 3]).add_(1);
      expect(values(base)).toEqual([2, 3, 4]);
    });

    it('records the graph (and writes out of place) when an operand requires grad', () => {
      const w = tensor([2, -3, 4], { device, requiresGrad: true });
      const y = tensor([1, 5, -2], { device });
      y.sub_(w);
      expect(values(y)).toEqual([-1, 8, -6]);
      expect(y.requiresGrad).toBe(true);
      y.mul(tensor([1, 2, 3], { device }))
        .sum()
        .backward();
      expect(values(w.grad!)).toEqual([-1, -2, -3]);
    });
  });
}
