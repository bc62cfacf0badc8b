// PyTorch habits with modules: console.log prints a module's repr, a generic training step
// (`model: nn.Module`) gets a Tensor from `model.call(x)` with no cast, containers are typed
// by their modules, 'webgpu' names the open device, and misuse gets an error naming what is
// accepted. The types are checked by `typecheck`; the runs by vitest, on every device.

import { inspect } from 'node:util';
import { type Backend, manualSeed, Tensor, tensor } from '@dl/tensor';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';

/** A training step as generic code writes it: any Tensor-to-Tensor module. */
function step(model: nn.Module, x: Tensor, y: Tensor, lr: number): Tensor {
  const loss = nn.F.mseLoss(model.call(x), y);
  model.zeroGrad();
  loss.backward();
  for (const p of model.parameters()) p.detach().sub_(p.grad!.mul(lr));
  return loss;
}

describe("Node's console.log", () => {
  it("prints a module's repr and a parameter as PyTorch does", () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    expect(inspect(model)).toBe(String(model));
    expect(inspect(model)).toBe(
      'Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)',
    );
    const p = new nn.Parameter(tensor([1, 2]));
    expect(inspect(p)).toBe('Parameter containing:\ntensor([1., 2.], requiresGrad=true)');
  });
});

describe('typed call', () => {
  it('gives generic code, Sequential and typed containers a Tensor', () => {
    const x = tensor([[1, 2]]);
    const base: nn.Module = new nn.Linear(2, 1);
    expectTypeOf(base.call(x)).toEqualTypeOf<Tensor>();
    expectTypeOf(new nn.Sequential(new nn.Linear(2, 2)).call(x)).toEqualTypeOf<Tensor>();
    const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.ReLU()]);
    for (const layer of list) expectTypeOf(layer.call(x)).toEqualTypeOf<Tensor>();
    expectTypeOf(new nn.ModuleDict({ fc: new nn.Linear(2, 2) }).get('fc')).toEqualTypeOf<
      nn.Linear | undefined
    >();
    // Modules that return something else say so, and generic code cannot take them.
    const pool = new nn.MaxPool2d(2, { returnIndices: true });
    expectTypeOf(() => pool.call(x)).returns.toEqualTypeOf<[Tensor, Tensor]>();
    const attention = new nn.MultiheadAttention(4, 2);
    expectTypeOf(() => attention.call(x, x, x)).returns.toEqualTypeOf<[Tensor, Tensor | null]>();
    // @ts-expect-error: attention returns [output, weights], not a Tensor
    const generic: nn.Module = attention;
    const anyModule: nn.Module<unknown> = attention;
    expectTypeOf(() => anyModule.call(x)).returns.toEqualTypeOf<unknown>();
    expect(generic).toBe(anyModule);
    expectTypeOf([...base.children()]).toEqualTypeOf<nn.Module<unknown>[]>();
  });
});

describe.each(devices)('PyTorch habits on %s', (_, device) => {
  it('a generic training step runs without casts and lowers the loss', async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
    model.to(device.type === 'cpu' ? 'cpu' : 'webgpu');
    expect(model.at(0).parameters().next().value?.device).toBe(device);
    const x = tensor(
      [
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      { device },
    );
    const y = tensor([[1], [1], [0]], { device });
    const first = await step(model, x, y, 0.1).item();
    let last = first;
    for (let i = 0; i < 20; i++) last = await step(model, x, y, 0.1).item();
    expect(last).toBeLessThan(first);
  });

  it("tensors and modules move to 'webgpu' by name", () => {
    if (device.type === 'cpu') return;
    const named: Backend = tensor([1], { device: 'webgpu' }).device;
    expect(named).toBe(device);
    expect(new nn.Linear(1, 1).to('webgpu').weight.device).toBe(device);
  });
});

describe('misuse gets an error naming what is accepted', () => {
  it("Dropout takes PyTorch's keyword p as an options object", () => {
    expect(new nn.Dropout({ p: 0.2 }).p).toBe(0.2);
    expect(String(new nn.Dropout2d({ p: 0.1, inplace: true }))).toBe(
      'Dropout2d(p=0.1, inplace=True)',
    );
    expect(() => new nn.Dropout({ prob: 0.2 } as never)).toThrow(
      "Dropout: unknown option 'prob'; the options are p, inplace",
    );
  });

  it('layer arguments', () => {
    expect(() => new nn.Conv2d(1, 32, undefined as never)).toThrow(
      'Conv2d: kernelSize must be an integer or an array of 2, got undefined',
    );
    expect(() => new nn.Linear('2' as never, 3)).toThrow(
      "Linear: inFeatures must be a positive integer, got '2'",
    );
  });

  it('containers', () => {
    expect(() => new nn.ModuleList(new nn.ReLU() as never)).toThrow(
      'ModuleList: expected an iterable of modules, such as an array ([a, b]), got a ReLU',
    );
    expect(() => new nn.Sequential(new nn.ReLU(), 3 as never)).toThrow(
      'Sequential: argument 1 is not a Module: 3',
    );
  });

  it('inputs and targets that are not tensors', () => {
    const x = tensor([[1, 2]]);
    expect(() => new nn.Linear(2, 1).call([[1, 2]] as never)).toThrow(
      'linear: expected input to be a Tensor, got [[1, 2]]; make one with tensor(...)',
    );
    expect(() => nn.F.mseLoss(x, 1 as never)).toThrow(
      'mseLoss: expected target to be a Tensor, got 1; make one with tensor(...)',
    );
    expect(() => nn.F.crossEntropy(x, [0] as never)).toThrow(
      'crossEntropy: expected target to be a Tensor, got [0]',
    );
    expect(new nn.Linear(2, 1).call(x)).toBeInstanceOf(Tensor);
  });
});
