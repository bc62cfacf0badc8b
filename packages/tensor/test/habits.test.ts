// PyTorch habits on the CPU, in Node: console.log prints PyTorch's form, DevTools can too,
// PyTorch's argument forms work, and misuse gets an error naming what is accepted. The
// behaviour every device shares is in the conformance suite (testing/cases/habits.ts).

import { inspect } from 'node:util';
import * as torch from '@dl/tensor';
import {
  arange,
  cat,
  eye,
  full,
  ones,
  randint,
  registerDevtoolsFormatter,
  stack,
  Tensor,
  tensor,
  zeros,
} from '@dl/tensor';
import { afterEach, describe, expect, it } from 'vitest';

const x = tensor([
  [1, 2],
  [3, 4],
]);

describe("Node's console.log", () => {
  it('prints a tensor as String(t) does, alone or inside other values', () => {
    const t = tensor([1.5, 2]);
    expect(inspect(t)).toBe('tensor([1.5000, 2.0000])');
    expect(inspect({ loss: tensor(0.25, { requiresGrad: true }) })).toBe(
      '{ loss: tensor(0.2500, requiresGrad=true) }',
    );
    expect(inspect(x)).toBe(String(x));
  });
});

describe('DevTools custom formatter', () => {
  type Formatter = {
    header(value: unknown, config?: unknown): unknown;
    hasBody(value: unknown, config?: unknown): boolean;
    body(value: unknown, config?: unknown): unknown;
  };
  const host = globalThis as { devtoolsFormatters?: Formatter[] };
  afterEach(() => {
    delete host.devtoolsFormatters;
  });

  it('is registered only on request, once, and shows the printed form', () => {
    expect(host.devtoolsFormatters).toBeUndefined();
    registerDevtoolsFormatter();
    registerDevtoolsFormatter();
    expect(host.devtoolsFormatters).toHaveLength(1);
    const formatter = host.devtoolsFormatters![0]!;
    expect(formatter.header(tensor([1.5, 2]))).toEqual([
      'span',
      { style: 'white-space: pre' },
      'tensor([1.5000, 2.0000])',
    ]);
    expect(formatter.header({ a: 1 })).toBeNull();
    expect(formatter.header(3)).toBeNull();
    // The body shows the tensor's fields, as DevTools would without the formatter.
    expect(formatter.hasBody(x)).toBe(true);
    const body = formatter.body(x) as [
      string,
      object,
      [string, { object: unknown; config: unknown }],
    ];
    expect(body[2][1].object).toBe(x);
    expect(formatter.header(x, body[2][1].config)).toBeNull();
  });
});

describe('shapes as PyTorch passes them', () => {
  it('zeros, ones, empty, rand and randn take sizes or one array, then options', () => {
    expect(zeros(3, 3).shape).toEqual([3, 3]);
    expect(ones(2, { dtype: 'int32' }).dtype).toBe('int32');
    expect(torch.empty([2, 1]).shape).toEqual([2, 1]);
    expect(torch.rand(2, 2, { generator: new torch.Generator(1) }).shape).toEqual([2, 2]);
    expect(torch.randn([]).shape).toEqual([]);
  });

  it('randint takes (high, shape) as well as (low, high, shape)', () => {
    const draws = randint(3, [100]).toArraySync() as number[];
    expect(draws.every((v) => v >= 0 && v < 3)).toBe(true);
    expect((randint(5, 7, [50]).toArraySync() as number[]).every((v) => v === 5 || v === 6)).toBe(
      true,
    );
    expect(() => randint(0, 10, 3 as never)).toThrow(
      'randint: expected (low, high, shape) or (high, shape), with the shape an array ([3] or [2, 3]); got (0, 10, 3)',
    );
  });

  it('arange and eye take options after their numbers', () => {
    expect(arange(3, { dtype: 'float32' }).dtype).toBe('float32');
    expect(arange(1, 3, { dtype: 'float32' }).toArraySync()).toEqual([1, 2]);
    expect(eye(2, { dtype: 'int32' }).toArraySync()).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('full takes the shape as an array, as PyTorch does, and says so', () => {
    expect(() => full(2 as never, 7)).toThrow(
      'full: the shape must be an array of sizes, as in full([2, 3], 7), got 2',
    );
    expect(() => full([2], 'a' as never)).toThrow(
      "full: the fill value must be a number or a boolean, got 'a'",
    );
  });
});

describe('dtypes', () => {
  it("refuses int64 and long, saying that dl's integers are int32", () => {
    for (const name of ['int64', 'long', 'torch.int64']) {
      expect(() => tensor([1, 2], { dtype: name as never })).toThrow(
        `tensor: unknown dtype '${name}': dl's integers are int32 (WebGPU has no 64-bit integers), so use 'int32'; dl's dtypes are 'float32', 'float64', 'int32' and 'bool'`,
      );
    }
    expect(() => zeros([2], { dtype: 'float' as never })).toThrow(
      "zeros: unknown dtype 'float': use 'float32'; dl's dtypes are",
    );
    expect(() => x.to('int64' as never)).toThrow("to: unknown dtype 'int64'");
    expect(() => x.to('toString' as never)).toThrow("to: unknown device 'toString'");
  });

  it("refuses PyTorch's snake_case keywords, naming the camelCase one", () => {
    expect(() => tensor([1, 2], { requires_grad: true } as never)).toThrow(
      "tensor: unknown option 'requires_grad' (did you mean 'requiresGrad'? dl spells PyTorch's names in camelCase); the options are dtype, device, requiresGrad",
    );
    expect(() => zeros(2, { dtpye: 'int32' } as never)).toThrow("zeros: unknown option 'dtpye'");
  });

  it('refuses an options object that is not one', () => {
    expect(() => tensor([1, 2], 'int32' as never)).toThrow(
      "tensor: expected an options object such as { dtype: 'int32', device, requiresGrad: true }, got 'int32'",
    );
  });
});

describe('devices by name', () => {
  it("'webgpu' before a device is opened, and PyTorch's 'cuda', say what to do", () => {
    expect(() => tensor([1], { device: 'webgpu' })).toThrow(
      "device: no WebGPU device is open: open one with `await webgpu()` from '@dl/webgpu' first",
    );
    expect(() => x.to('cuda' as never)).toThrow(
      "to: unknown device 'cuda'; dl has no CUDA device; WebGPU runs on any GPU: use 'cpu', 'webgpu'",
    );
    expect(() => x.to(null as never)).toThrow("to: expected a device: 'cpu', 'webgpu'");
  });
});

describe('misuse gets an error naming what is accepted', () => {
  it('operands that are not tensors or numbers', () => {
    expect(() => x.add('a' as never)).toThrow(
      "add: expected the other operand to be a Tensor, a number or a boolean, got 'a'",
    );
    expect(() => x.mul(null as never)).toThrow('mul: expected the other operand');
    expect(() => x.matmul([1, 2] as never)).toThrow(
      'matmul: expected a Tensor, got [1, 2]; make one with tensor(...)',
    );
    expect(() => tensor(x as never)).toThrow('tensor: got a Tensor; copy one with t.clone()');
  });

  it('cat and stack of tensors not in an array', () => {
    expect(() => cat(x as never, x as never)).toThrow(
      'cat: expected an array of tensors (cat([a, b], dim)), got a Tensor of shape [2, 2]',
    );
    expect(() => stack([x, 1] as never)).toThrow(
      'stack: expected item 1 of the list to be a Tensor, got 1',
    );
  });

  it('sizes that are not numbers, and seeds', () => {
    expect(() => x.reshape([2, '2'] as never)).toThrow(
      "reshape: expected sizes (x.reshape(2, 3)) or one array of them (x.reshape([2, 3])), got ([2, '2'])",
    );
    expect(() => torch.manualSeed('a' as never)).toThrow(
      "manualSeed: seed must be a finite number, got 'a'",
    );
  });

  it('dims that are not integers', () => {
    expect(() => x.squeeze('a' as never)).toThrow(
      "squeeze: expected dim to be an integer or an array of integers, got 'a'",
    );
    expect(() => x.transpose(0, undefined as never)).toThrow(
      'transpose: expected dim to be an integer, got undefined',
    );
  });
});

describe('torch.* names', () => {
  it('has the functions a primer calls', () => {
    for (const name of ['sigmoid', 'tanh', 'relu', 'flatten', 'exp', 'sum', 'mean', 'max'])
      expect(typeof (torch as Record<string, unknown>)[name], name).toBe('function');
    expect(torch.var(x, { dim: 1, correction: 0 }).toArraySync()).toEqual([0.25, 0.25]);
    const { values } = torch.max(x, 1);
    expect(values.toArraySync()).toEqual([2, 4]);
    expect(torch.max(x)).toBeInstanceOf(Tensor);
  });
});
