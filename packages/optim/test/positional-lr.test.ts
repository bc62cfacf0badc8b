// PyTorch's positional learning rate: `new Adam(params, 0.1)` runs at 0.1 for every
// optimizer (JavaScript used to ignore the number and run at the default), options may
// follow it, and anything else is refused with a message naming what is accepted.

import { type Tensor, tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '../src/index.js';

const param = (): Tensor => tensor([1, -2]).requiresGrad_();

const optimizers: Record<string, new (params: Iterable<Tensor>, lr: number) => Optimizer> = {
  SGD,
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
  Adadelta,
};

describe('positional learning rate', () => {
  it.each(Object.entries(optimizers))('%s(params, 0.1) runs at lr 0.1', (_, Optimizer) => {
    const opt = new Optimizer([param()], 0.1);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(opt.defaults.lr).toBe(0.1);
  });

  it('steps at the positional lr, and takes options after it', () => {
    const p = param();
    const opt = new Adam([p], 0.1, { betas: [0.5, 0.5] });
    expect(opt.paramGroups[0]!.betas).toEqual([0.5, 0.5]);
    p.mul(p).sum().backward();
    opt.step();
    // Adam's first step moves each element by lr against its gradient's sign.
    const [a, b] = Array.from(p.dataSync());
    expect(a).toBeCloseTo(0.9, 5);
    expect(b).toBeCloseTo(-1.9, 5);
    const sgd = new SGD([param()], 0.5, { momentum: 0.9 });
    expect([sgd.defaults.lr, sgd.defaults.momentum]).toEqual([0.5, 0.9]);
  });

  it('refuses what is neither a learning rate nor options, naming what is accepted', () => {
    expect(() => new Adam([param()], '0.1' as never)).toThrow(
      "Adam: expected the learning rate (a number: new Adam(params, 0.01)) or an options object (new Adam(params, { lr: 0.01 })), got '0.1'",
    );
    expect(() => new RMSprop([param()], 0.1, { lr: 0.2 } as never)).toThrow(
      'RMSprop: the learning rate is given twice (0.1, and lr: 0.2 in the options)',
    );
    expect(() => new Adagrad([param()], 0.1, 5 as never)).toThrow(
      'Adagrad: expected an options object after the learning rate, got 5',
    );
    expect(() => new SGD([param()], {} as never)).toThrow(
      'SGD: lr is required (new SGD(params, 0.01) or new SGD(params, { lr: 0.01 }))',
    );
  });

  it('says how to pass a model whose parameters() was not called', () => {
    class Model {
      *parameters(): Generator<Tensor> {
        yield param();
      }
    }
    const model = new Model();
    expect(() => new Adam(model as never)).toThrow(
      'Adam: params should be an iterable of Tensors or of parameter groups, got a Model; pass model.parameters()',
    );
    expect(() => new Adam(model.parameters as never)).toThrow(
      'got a function (parameters); call it: model.parameters()',
    );
    expect(() => new Adam([model] as never)).toThrow(
      'Adam: params should hold Tensors or parameter groups ({ params, lr, ... }), but item 0 is a Model; pass model.parameters()',
    );
    expect(new Adam(model.parameters(), 0.1).paramGroups[0]!.params).toHaveLength(1);
  });
});
