// Conformance cases: fusedUpdate_, several in-place outputs from one kernel (an optimizer's
// update). Expected values are computed here in plain JavaScript, element by element.

import type { Backend } from '../../index.js';
import { E, fusedUpdate_, noGrad, tensor, zeros } from '../../index.js';
import { assertClose, assertThrows } from '../assert.js';
import { defineCases } from '../conformance.js';

const f32 = (x: number) => Math.fround(x);

export const fusedCases = defineCases('fused', {
  'an Adam-shaped update writes the parameter and both moments': async (device: Backend) => {
    const p0 = [0.5, -1.25, 2, 0.125, -3, 1];
    const g0 = [0.1, 0.2, -0.3, 0.4, -0.5, 0];
    const m0 = [0.01, -0.02, 0.03, 0, 0.05, -0.06];
    const v0 = [0.001, 0.002, 0.003, 0.004, 0, 0.006];
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];
    const p = tensor(p0, { device }).reshape([2, 3]);
    const g = tensor(g0, { device }).reshape([2, 3]);
    const m = tensor(m0, { device }).reshape([2, 3]);
    const v = tensor(v0, { device }).reshape([2, 3]);
    // Inputs: 0 p, 1 g, 2 m, 3 v; params: 0 lr, 1 beta1, 2 beta2, 3 eps.
    const mNew = E.add(E.mul(E.param(1), E.input(2)), E.mul(E.sub(1, E.param(1)), E.input(1)));
    const vNew = E.add(
      E.mul(E.param(2), E.input(3)),
      E.mul(E.sub(1, E.param(2)), E.mul(E.input(1), E.input(1))),
    );
    const pNew = E.sub(E.input(0), E.div(E.mul(E.param(0), mNew), E.add(E.sqrt(vNew), E.param(3))));
    const before = p.storageRef.version;
    fusedUpdate_([p, m, v], [pNew, mNew, vNew], [p, g, m, v], [lr, b1, b2, eps]);
    const m1 = m0.map((mi, i) => b1 * mi + (1 - b1) * g0[i]!);
    const v1 = v0.map((vi, i) => b2 * vi + (1 - b2) * g0[i]! * g0[i]!);
    const p1 = p0.map((pi, i) => pi - (lr * m1[i]!) / (Math.sqrt(v1[i]!) + eps));
    await assertClose(m.reshape([6]), m1.map(f32), { rtol: 1e-6 }, 'first moment');
    await assertClose(v.reshape([6]), v1.map(f32), { rtol: 1e-6 }, 'second moment');
    await assertClose(p.reshape([6]), p1.map(f32), { rtol: 1e-6 }, 'parameter');
    await assertClose(g.reshape([6]), g0.map(f32), { rtol: 0, atol: 0 }, 'gradient (read only)');
    if (p.storageRef.version !== before + 1)
      throw new Error('the parameter version was not bumped');
  },
  'inputs broadcast, params change without new inputs, sizes past one workgroup': async (
    device: Backend,
  ) => {
    const n = 70_001;
    const x = zeros([n], { device });
    const y = zeros([n], { device });
    const row = tensor([2], { device });
    const ramp = Array.from({ length: n }, (_, i) => (i % 13) - 6);
    const r = tensor(ramp, { device });
    for (const scale of [1, -0.5]) {
      // x = x + r * scale + row; y = max(x_old, r) * 2
      fusedUpdate_(
        [x, y],
        [
          E.add(E.add(E.input(0), E.mul(E.input(1), E.param(0))), E.input(2)),
          E.mul(E.max(E.input(0), E.input(1)), 2),
        ],
        [x, r, row],
        [scale],
      );
    }
    const xs = ramp.map((ri) => ri * 1 + 2 + ri * -0.5 + 2);
    const ys = ramp.map((ri) => Math.max(ri + 2, ri) * 2);
    await assertClose(x, xs, { rtol: 1e-6 }, 'x');
    await assertClose(y, ys, { rtol: 1e-6 }, 'y');
  },
  'bad arguments are refused and leave the tensors unchanged': async (device: Backend) => {
    const a = tensor([1, 2, 3], { device, dtype: 'float32' });
    const b = tensor([4, 5, 6], { device, dtype: 'float32' });
    const c = tensor([1, 2], { device, dtype: 'float32' });
    assertThrows(
      () => fusedUpdate_([a, b], [E.input(0)], [a]),
      'got 1 expressions for 2 output tensors',
    );
    assertThrows(
      () => fusedUpdate_([a, c], [E.input(0), E.input(0)], [a]),
      'output 1 has shape [2]',
    );
    assertThrows(() => fusedUpdate_([a], [E.input(1)], [a]), 'reads input 1 but 1 were given');
    assertThrows(() => fusedUpdate_([a], [E.param(0)], []), 'reads param 0 but 0 were given');
    assertThrows(
      () => fusedUpdate_([a], [E.input(0)], [c]),
      'input 0 of shape [2] does not broadcast',
    );
    assertThrows(() => fusedUpdate_([a, a], [E.input(0), E.input(0)], [b]), 'shares its storage');
    assertThrows(
      () => fusedUpdate_([tensor([1, 2, 3], { device, dtype: 'int32' })], [E.input(0)], [a]),
      'outputs must share one floating dtype',
    );
    const gone = tensor([7, 8, 9], { device, dtype: 'float32' });
    gone.dispose();
    assertThrows(() => fusedUpdate_([a], [E.input(0)], [gone]), 'input 0 has been disposed');
    const w = tensor([1, 2, 3], { device, dtype: 'float32', requiresGrad: true });
    assertThrows(
      () => fusedUpdate_([w], [E.add(E.input(0), 1)], [w]),
      'run the update under noGrad',
    );
    noGrad(() => fusedUpdate_([w], [E.add(E.input(0), 1)], [w]));
    await assertClose(a, [1, 2, 3], { rtol: 0, atol: 0 }, 'a');
    await assertClose(b, [4, 5, 6], { rtol: 0, atol: 0 }, 'b');
    await assertClose(w.detach(), [2, 3, 4], { rtol: 0, atol: 0 }, 'w updated under noGrad');
  },
});
