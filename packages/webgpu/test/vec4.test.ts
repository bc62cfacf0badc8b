// Elementwise kernels that take four elements at a time (contiguous views of at least 4,096
// elements, offsets and counts multiples of 4) give the CPU's values: float, int and bool
// results, broadcast scalars, in-place writes, several outputs at once (an optimizer's
// fused update), and views whose offsets are not multiples of 4 (read one at a time).

import { E, type Expr, fusedUpdate_, noGrad, randn, type Tensor, tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { afterAll, describe, it } from 'vitest';
import { openTestDevice, runtime } from './device.js';

const device = await openTestDevice();
// Both walks: runs of vectors per invocation ('rows') and neighbouring vectors.
const interleaved = device && (await openTestDevice({ elementwiseOrder: 'interleaved' }));

describe.skipIf(!device)(`elementwise kernels four at a time in ${runtime}`, () => {
  afterAll(() => {
    device?.destroy();
    interleaved?.destroy();
  });

  const cases: [string, (to: (t: Tensor) => Tensor) => Tensor][] = [
    [
      'x * y + 1 over [64, 100]',
      (to) =>
        to(randn([64, 100]))
          .mul(to(randn([64, 100])))
          .add(1),
    ],
    [
      'relu of x times a 0-d tensor',
      (to) =>
        to(randn([8192]))
          .mul(to(tensor(2.5)))
          .relu(),
    ],
    ['x > y as bool', (to) => to(randn([4096])).gt(to(randn([4096])))],
    [
      'int32 x * 3',
      (to) =>
        to(randn([4100]).mul(50))
          .to('int32')
          .mul(3),
    ],
    [
      'offset 4: x[4:] exp',
      (to) =>
        to(randn([4104]))
          .narrow(0, 4, 4100)
          .exp(),
    ],
    [
      'offset 1: x[1:] + 2 (one at a time)',
      (to) =>
        to(randn([4101]))
          .narrow(0, 1, 4100)
          .add(2),
    ],
  ];
  for (const [what, build] of cases) {
    it(`${what}: the CPU's values`, async () => {
      const inputs: Tensor[] = [];
      const expected = build((t) => {
        inputs.push(t);
        return t;
      });
      for (const d of [device!, interleaved!]) {
        let k = 0;
        const actual = build(() => inputs[k++]!.to(d));
        await assertClose(
          actual,
          expected,
          { rtol: 1e-6, atol: 1e-6 },
          `${what} (${d.elementwiseOrder})`,
        );
      }
    });
  }

  it('expressions nested deeper than the WGSL parser allows, one and two outputs', async () => {
    // A chain of 150 ops folds into one kernel whose expression is cut into statements.
    const chain = (t: Tensor) => {
      let y = t;
      for (let i = 0; i < 150; i++)
        y = i % 3 === 0 ? y.mul(1.01) : i % 3 === 1 ? y.add(0.01) : y.tanh();
      return y;
    };
    let deep: Expr = E.input(0);
    for (let i = 0; i < 60; i++) deep = E.add(E.mul(deep, 0.99), E.input(1));
    const update = (a: Tensor, b: Tensor) => {
      noGrad(() => fusedUpdate_([a, b], [deep, E.neg(deep)], [a, b]));
      return [a, b];
    };
    for (const size of [4096, 100]) {
      const x = randn([size]);
      for (const d of [device!, interleaved!]) {
        await assertClose(chain(x.to(d)), chain(x), { rtol: 1e-5, atol: 1e-6 }, `chain of ${size}`);
        const [a, b] = [randn([size]), randn([size])];
        const expected = update(a.clone(), b.clone());
        const actual = update(a.to(d), b.to(d));
        for (const k of [0, 1]) {
          await assertClose(
            actual[k]!,
            expected[k]!,
            { rtol: 1e-5, atol: 1e-5 },
            `output ${k} of ${size}`,
          );
        }
      }
    }
  });

  it('in place, and three outputs of one fused update', async () => {
    const [p, g, m] = [randn([5000]), randn([5000]), randn([5000])];
    const update = (t: Tensor[]) => {
      const [pt, gt, mt] = t as [Tensor, Tensor, Tensor];
      pt.add_(gt);
      noGrad(() =>
        fusedUpdate_(
          [pt, mt, gt],
          [
            E.sub(E.input(0), E.mul(E.param(0), E.input(1))),
            E.add(E.mul(E.input(1), 0.9), E.input(2)),
            E.mul(E.input(2), E.input(2)),
          ],
          [pt, gt, mt],
          [0.01],
        ),
      );
      return t;
    };
    const expected = update([p.clone(), g.clone(), m.clone()]);
    const actual = update([p, g, m].map((t) => t.to(device!)));
    for (const [i, name] of ['p', 'g', 'm'].entries()) {
      await assertClose(actual[i]!, expected[i]!, { rtol: 1e-6, atol: 1e-6 }, name);
    }
  });
});
