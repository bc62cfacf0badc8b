// Creating tensors, dtypes, random numbers and reading values back.
import {
  arange,
  eye,
  full,
  Generator,
  linspace,
  manualSeed,
  ones,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from '@dl/tensor';
import { describe, expect, it } from 'vitest';

describe('tensor()', () => {
  it('infers shape and dtype from nested arrays, numbers and typed arrays', async () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    // Numbers are float32, whole or not (PyTorch's default dtype; JavaScript has no 2.0).
    expect(a.dtype).toBe('float32');
    expect(a.ndim).toBe(2);
    expect(a.numel()).toBe(6);
    expect(a.size(-1)).toBe(3);
    expect(a.stride()).toEqual([3, 1]);
    expect(a.isContiguous()).toBe(true);
    expect(String(a.device)).toBe('cpu');
    expect(tensor([1.5, 2]).dtype).toBe('float32');
    expect(tensor([2.0]).dtype).toBe('float32');
    expect(tensor(7).dtype).toBe('float32');
    expect(tensor([1, 2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(tensor(Int32Array.from([1, 2])).dtype).toBe('int32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, 1]).dtype).toBe('float32');
    expect(tensor(Float64Array.from([1, 2])).dtype).toBe('float64');
    const s = tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(3.5);
    expect(await a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(await a.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await tensor([true, false]).toArray()).toEqual([true, false]);
  });

  it('rejects ragged nested arrays, naming the dim', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('expected sequence of length 2 at dim 1 (got 1)');
  });

  it('item() needs exactly one element', async () => {
    await expect(tensor([1, 2]).item()).rejects.toThrow(
      'a Tensor with 2 elements cannot be converted to a scalar',
    );
  });

  it('converts dtypes like PyTorch: truncation toward zero, nonzero is true', async () => {
    const x = tensor([-1.7, -0.2, 0, 2.9]);
    expect(await x.int().toArray()).toEqual([-1, 0, 0, 2]);
    expect(await x.bool().toArray()).toEqual([true, true, false, true]);
    expect(x.to('float64').dtype).toBe('float64');
    expect(x.float()).toBe(x);
  });
});

describe('creation functions', () => {
  it('fill, range and identity', async () => {
    expect(await zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(zeros([2]).dtype).toBe('float32');
    expect(await ones([3], { dtype: 'int32' }).toArray()).toEqual([1, 1, 1]);
    expect(await full([2], 7).toArray()).toEqual([7, 7]);
    expect(full([2], 7).dtype).toBe('float32');
    expect(full([2], 7, { dtype: 'int32' }).dtype).toBe('int32');
    expect(full([2], true).dtype).toBe('bool');
    expect(full([1], 0.5).dtype).toBe('float32');
    // Index-producing functions keep integers, as in PyTorch.
    expect(arange(5).dtype).toBe('int32');
    expect(arange(0, 1, 0.25).dtype).toBe('float32');
    expect(await arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(await arange(2, 8, 3).toArray()).toEqual([2, 5]);
    expect(await arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(await arange(3, 0, -1).toArray()).toEqual([3, 2, 1]);
    expect(await linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(await eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const like = zerosLike(tensor([[1, 2]]), { dtype: 'float32' });
    expect(like.shape).toEqual([1, 2]);
    expect(zeros([0, 3]).numel()).toBe(0);
  });

  it('explains bad arguments', () => {
    expect(() => zeros([2, -1])).toThrow(
      'zeros: invalid shape [2, -1]: sizes must be non-negative integers',
    );
    expect(() => arange(0, 5, 0)).toThrow('arange: step must be nonzero');
    expect(() => arange(0, 5, -1)).toThrow(
      /upper bound and larger bound inconsistent with step sign/,
    );
    expect(() => randint(3, 3, [2])).toThrow('randint: expected low < high, got low=3, high=3');
  });
});

describe('random numbers', () => {
  it('manualSeed makes every stream repeat exactly', async () => {
    manualSeed(42);
    const a = [
      await rand([5]).data(),
      await randn([5]).data(),
      await randint(0, 10, [5]).data(),
      await randperm(6).data(),
    ];
    manualSeed(42);
    const b = [
      await rand([5]).data(),
      await randn([5]).data(),
      await randint(0, 10, [5]).data(),
      await randperm(6).data(),
    ];
    expect(b).toEqual(a);
    manualSeed(43);
    expect(await rand([5]).data()).not.toEqual(a[0]);
  });

  it('draws from the right distributions', async () => {
    const g = new Generator(1);
    const u = Array.from(await rand([20000], { generator: g }).data());
    const n = Array.from(await randn([20000], { generator: g }).data());
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1); // standard error 0.002
    expect(variance(u)).toBeCloseTo(1 / 12, 2);
    expect(mean(n)).toBeCloseTo(0, 1);
    expect(variance(n)).toBeCloseTo(1, 1);
    const ints = Array.from(await randint(-2, 3, [5000], { generator: g }).data());
    expect(new Set(ints)).toEqual(new Set([-2, -1, 0, 1, 2]));
    const perm = Array.from(await randperm(50, { generator: g }).data()).sort((x, y) => x - y);
    expect(perm).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('a Generator saves and restores its state', async () => {
    const g = new Generator(7);
    await rand([3], { generator: g }).data();
    const state = g.getState();
    const first = await randn([4], { generator: g }).data();
    g.setState(state);
    expect(await randn([4], { generator: g }).data()).toEqual(first);
    expect(g.initialSeed()).toBe(7);
  });

  it('a Generator state survives JSON, with and without a spare normal deviate', async () => {
    const g = new Generator(11);
    const withoutSpare = JSON.parse(JSON.stringify(g.getState()));
    expect(withoutSpare[4]).toBe(null);
    const a = await randn([3], { generator: g }).data();
    const withSpare = JSON.parse(JSON.stringify(g.getState()));
    expect(typeof withSpare[4]).toBe('number');
    const b = await randn([3], { generator: g }).data();
    const h = new Generator(0).setState(withoutSpare);
    expect(await randn([3], { generator: h }).data()).toEqual(a);
    h.setState(withSpare);
    expect(await randn([3], { generator: h }).data()).toEqual(b);
  });

  it('Generator.setState refuses states getState cannot return, leaving the generator as it was', async () => {
    const g = new Generator(5);
    const before = g.getState();
    expect(() => g.setState([1, 2, 3])).toThrow('expected 5 numbers');
    expect(() => g.setState([0, 0, 0, 0, null])).toThrow('all 0');
    expect(() => g.setState([1, -1, 0, 0, null])).toThrow(
      'word 1 must be an integer from 0 to 4294967295, got -1',
    );
    expect(() => g.setState([1, 2 ** 32, 0, 0, null])).toThrow('got 4294967296');
    expect(() => g.setState([1, 0.5, 0, 0, null])).toThrow('got 0.5');
    expect(() => g.setState([1, 2, 3, 4, Number.POSITIVE_INFINITY])).toThrow('spare deviate');
    expect(g.getState()).toEqual(before);
  });
});
