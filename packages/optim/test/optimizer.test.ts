// The Optimizer API on every device: parameter groups and their options, zeroGrad, skipping
// parameters without gradients, closures, one fused kernel per parameter and no reads, the
// strided-view fallback, state dicts, and errors that name the bad value and change nothing.

import { type Backend, noGrad, type Tensor, tensor, zeros } from '@dl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, AdamW, RMSprop, SGD } from '../src/index.js';
import { openDevices } from './devices.js';
import { lossOf, mlp, paramNames } from './mlp.js';

const { devices, close } = await openDevices();
afterAll(close);

function param(values: number[], device: Backend): Tensor {
  return tensor(values, { device, dtype: 'float32' }).requiresGrad_();
}

/** Calls to each of the device's methods while `fn` runs. */
function countCalls(device: Backend, fn: () => void): Record<string, number> {
  const counts: Record<string, number> = {};
  const target = device as unknown as Record<string, unknown>; // instrumenting the instance's methods
  const names = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(device);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (
        name !== 'constructor' &&
        typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function'
      )
        names.add(name);
    }
  }
  for (const name of names) {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return original.apply(device, args);
    };
  }
  try {
    fn();
  } finally {
    for (const name of names) delete target[name];
  }
  return counts;
}

describe.each(devices)('Optimizer on %s', (_, device) => {
  it('updates each parameter with one fused kernel and reads nothing back', () => {
    for (const make of [
      (params: Tensor[]) => new Adam(params, { amsgrad: true, weightDecay: 0.1 }),
      (params: Tensor[]) => new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true }),
      (params: Tensor[]) => new RMSprop(params, { centered: true, momentum: 0.9 }),
      (params: Tensor[]) => new AdamW(params),
      (params: Tensor[]) => new Adagrad(params),
      (params: Tensor[]) => new Adadelta(params),
    ]) {
      const p = mlp(device);
      const optimizer = make(paramNames.map((name) => p[name]));
      lossOf(p, device).backward();
      optimizer.step(); // creates the state
      const counts = countCalls(device, () => optimizer.step());
      // Four parameters have gradients (`unused` has none): four kernels, nothing else.
      expect(counts, optimizer.toString()).toEqual({ elementwiseMulti: 4 });
    }
  });

  it('takes parameter groups with their own options, defaults filling the rest', () => {
    const [a, b] = [param([1, 2], device), param([3], device)];
    const optimizer = new Adam([{ params: [a] }, { params: [b], lr: 0.5, betas: [0.5, 0.6] }], {
      lr: 0.1,
    });
    expect(optimizer.paramGroups.map(({ params, ...options }) => [params, options])).toEqual([
      [
        [a],
        {
          lr: 0.1,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
          maximize: false,
        },
      ],
      [
        [b],
        { lr: 0.5, betas: [0.5, 0.6], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
      ],
    ]);
    const c = param([4], device);
    optimizer.addParamGroup({ params: [c], eps: 1e-3 });
    expect(optimizer.paramGroups[2]).toMatchObject({ params: [c], lr: 0.1, eps: 1e-3 });
  });

  it('zeroGrad sets gradients to null by default, or zeroes them in place', async () => {
    const w = param([1, 2], device);
    const optimizer = new SGD([w], { lr: 0.1 });
    w.mul(3).sum().backward();
    optimizer.zeroGrad();
    expect(w.grad).toBeNull();
    w.mul(3).sum().backward();
    const grad = w.grad!;
    optimizer.zeroGrad({ setToNone: false });
    expect(w.grad).toBe(grad);
    expect(Array.from(await grad.data())).toEqual([0, 0]);
  });

  it('skips parameters without a gradient, creating no state for them', async () => {
    const [a, b] = [param([1, 2], device), param([3, 4], device)];
    const optimizer = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
    a.mul(2).sum().backward();
    optimizer.step();
    expect(Array.from(await a.data())).toEqual([0, 1]); // 1 - 0.5 * 2, 2 - 0.5 * 2
    expect(Array.from(await b.data())).toEqual([3, 4]);
    expect(optimizer.state.has(b)).toBe(false);
    expect(optimizer.state.get(a)?.momentumBuffer).toBeDefined();
  });

  it('step(closure) evaluates the closure with grad on and returns its loss', async () => {
    const w = param([2], device);
    const optimizer = new SGD([w], { lr: 0.25 });
    const loss = noGrad(() =>
      optimizer.step(() => {
        optimizer.zeroGrad();
        const l = w.square().sum(); // d/dw = 2w = 4
        l.backward();
        return l;
      }),
    );
    expect(await loss!.item()).toBe(4);
    expect(Array.from(await w.data())).toEqual([1]); // 2 - 0.25 * 4
  });

  it('updates a parameter that is a strided view with tensor ops, as if it were contiguous', async () => {
    const base = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device, dtype: 'float32' },
    );
    const view = base.T.requiresGrad_(); // [3, 2], not contiguous
    const plain = base.T.contiguous().requiresGrad_();
    const steps = (w: Tensor) => {
      const optimizer = new Adam([w], { lr: 0.1, amsgrad: true });
      for (let i = 0; i < 3; i++) {
        optimizer.zeroGrad();
        w.mul(
          tensor(
            [
              [1, -2],
              [3, -4],
              [5, -6],
            ],
            { device, dtype: 'float32' },
          ),
        )
          .square()
          .sum()
          .backward();
        optimizer.step();
      }
    };
    steps(view);
    steps(plain);
    expect(view.isContiguous()).toBe(false);
    const [got, want] = [
      Array.from(await view.contiguous().data()),
      Array.from(await plain.data()),
    ];
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
    // Adam's first steps move each weight by about lr: the update happened.
    expect(want[0]).toBeCloseTo(1 - 0.3, 1);
  });

  it('refuses a gradient of the wrong shape before updating anything', async () => {
    const [a, b] = [param([1, 2], device), param([3, 4], device)];
    const optimizer = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([1, 1], { device, dtype: 'float32' });
    b.grad = tensor([1, 1, 1], { device, dtype: 'float32' });
    expect(() => optimizer.step()).toThrow(
      /Adam.step: a gradient has shape \[3\] but its parameter has shape \[2\]/,
    );
    expect(Array.from(await a.data())).toEqual([1, 2]);
    expect(optimizer.state.size).toBe(0);
    b.grad = tensor([1, 1], { device, dtype: 'float32' });
    b.grad.dispose();
    expect(() => optimizer.step()).toThrow(/Adam.step: a parameter's gradient has been disposed/);
    expect(Array.from(await a.data())).toEqual([1, 2]);
  });

  it('stateDict keys state by position and loadStateDict restores it onto the parameters', async () => {
    const [a, b] = [param([1, 2], device), param([3], device)];
    const optimizer = new Adam([{ params: [a] }, { params: [b], lr: 0.5 }]);
    a.grad = tensor([1, -1], { device, dtype: 'float32' });
    optimizer.step();
    const state = optimizer.stateDict();
    expect(Object.keys(state.state)).toEqual(['0']);
    expect(state.state[0]!['step']).toBe(1);
    expect(state.paramGroups.map((g) => [g.params, g.lr])).toEqual([
      [[0], 1e-3],
      [[1], 0.5],
    ]);
    const [c, d] = [param([1, 2], device), param([3], device)];
    const fresh = new Adam([{ params: [c] }, { params: [d] }]);
    fresh.loadStateDict(state);
    expect(fresh.paramGroups[1]!.lr).toBe(0.5);
    const restored = fresh.state.get(c)!;
    expect(restored.expAvg).not.toBe(optimizer.state.get(a)!.expAvg); // a copy, not shared
    expect(Array.from(await restored.expAvg.data())).toEqual(
      Array.from(await optimizer.state.get(a)!.expAvg.data()),
    );
  });

  it('refuses a state dict that does not fit, changing nothing', () => {
    const [a, b] = [param([1, 2], device), param([3], device)];
    const optimizer = new SGD([a, b], { lr: 0.1 });
    const other = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.2 });
    expect(() => optimizer.loadStateDict(other.stateDict())).toThrow(
      /loaded state dict has 2 parameter groups; this optimizer has 1/,
    );
    const bad = {
      ...optimizer.stateDict(),
      paramGroups: [{ ...optimizer.stateDict().paramGroups[0]!, lr: -1 }],
    };
    expect(() => optimizer.loadStateDict(bad)).toThrow(/SGD: invalid lr value: -1/);
    expect(optimizer.paramGroups[0]!.lr).toBe(0.1);
  });
});

describe('hyperparameters are checked, naming the bad value', () => {
  const w = () => zeros([2]).requiresGrad_();
  it.each([
    ['Adam lr', () => new Adam([w()], { lr: -1 }), /Adam: invalid lr value: -1/],
    [
      'Adam beta',
      () => new Adam([w()], { betas: [1, 0.9] }),
      /Adam: invalid beta parameter at index 0: 1/,
    ],
    ['AdamW eps', () => new AdamW([w()], { eps: -1e-8 }), /AdamW: invalid eps value: -1e-8/],
    [
      'SGD momentum',
      () => new SGD([w()], { lr: 0.1, momentum: -0.5 }),
      /SGD: invalid momentum value: -0.5/,
    ],
    [
      'SGD nesterov',
      () => new SGD([w()], { lr: 0.1, nesterov: true }),
      /Nesterov momentum requires a momentum and zero dampening/,
    ],
    ['SGD without lr', () => new SGD([w()], {} as { lr: number }), /SGD: lr is required/],
    [
      'RMSprop alpha',
      () => new RMSprop([w()], { alpha: -0.1 }),
      /RMSprop: invalid alpha value: -0.1/,
    ],
    [
      'Adagrad lrDecay',
      () => new Adagrad([w()], { lrDecay: -1 }),
      /Adagrad: invalid lrDecay value: -1/,
    ],
    ['Adadelta rho', () => new Adadelta([w()], { rho: 1.5 }), /Adadelta: invalid rho value: 1.5/],
    [
      'an unknown option',
      () => new Adam([w()], { learningRate: 1 } as object),
      /Adam: unknown option 'learningRate'/,
    ],
    ['no parameters', () => new Adam([]), /Adam: optimizer got an empty parameter list/],
    [
      'a Tensor instead of a list',
      () => new Adam(w() as unknown as Tensor[]),
      /got a Tensor; pass \[tensor\]/,
    ],
    ['a non-leaf', () => new Adam([w().mul(2)]), /can't optimize a non-leaf Tensor/],
  ])('%s', (_, build, message) => {
    expect(build).toThrow(message);
  });

  it('a refused group leaves the optimizer as it was', () => {
    const [a, b] = [w(), w()];
    const optimizer = new SGD([a], { lr: 0.1 });
    expect(() => optimizer.addParamGroup({ params: [a] })).toThrow(
      /some parameters appear in more than one parameter group/,
    );
    expect(() => optimizer.addParamGroup({ params: [b], lr: Number.NaN })).toThrow(
      /SGD: invalid lr value: NaN/,
    );
    expect(optimizer.paramGroups).toHaveLength(1);
  });
});
