// The engine on plain numbers: a tiny scalar type whose derivatives are worked out by hand.
import { describe, expect, it } from 'vitest';
import { backward, type GradAlgebra, grad } from './engine.js';
import { isGradEnabled, noGrad } from './mode.js';
import { type GradHook, Node, type Variable } from './node.js';

class Scalar implements Variable<Scalar> {
  grad: Scalar | null = null;
  gradFn: Node<Scalar> | null = null;
  gradHooks: GradHook<Scalar>[] = [];
  constructor(
    readonly value: number,
    public requiresGrad = false,
  ) {}
}

const algebra: GradAlgebra<Scalar> = {
  add: (a, b) => add(a, b),
  onesLike: () => new Scalar(1),
  detach: (a) => new Scalar(a.value),
};

function op(value: number, name: string, inputs: Scalar[], vjp: (g: Scalar) => (Scalar | null)[]) {
  const out = new Scalar(value);
  if (isGradEnabled() && inputs.some((x) => x.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = new Node(name, inputs, vjp);
  }
  return out;
}
const add = (a: Scalar, b: Scalar): Scalar => op(a.value + b.value, 'Add', [a, b], (g) => [g, g]);
const mul = (a: Scalar, b: Scalar): Scalar =>
  op(a.value * b.value, 'Mul', [a, b], (g) => [mul(g, b), mul(g, a)]);
const sin = (a: Scalar): Scalar => op(Math.sin(a.value), 'Sin', [a], (g) => [mul(g, cos(a))]);
const cos = (a: Scalar): Scalar =>
  op(Math.cos(a.value), 'Cos', [a], (g) => [mul(g, mul(new Scalar(-1), sin(a)))]);
const one = new Scalar(1);

describe('backward', () => {
  it('accumulates through shared subexpressions: d/dx (x*y + x) * x', () => {
    const x = new Scalar(3, true);
    const y = new Scalar(-2, true);
    const t = add(mul(x, y), x); // x*y + x
    const f = mul(t, x); // x²y + x²
    backward(algebra, [f], [one]);
    expect(f.value).toBe(-9);
    expect(x.grad?.value).toBe(2 * 3 * -2 + 2 * 3); // 2xy + 2x = -6
    expect(y.grad?.value).toBe(9); // x²
  });

  it('accumulates into .grad across calls and detaches the stored gradient', () => {
    const x = new Scalar(2, true);
    backward(algebra, [mul(x, x)], [one]);
    backward(algebra, [mul(x, x)], [new Scalar(0.5)]);
    expect(x.grad?.value).toBe(4 + 2);
    expect(x.grad?.gradFn).toBeNull();
  });

  it('refuses a second backward through a freed graph, and allows it with retainGraph', () => {
    const x = new Scalar(2, true);
    const f = mul(sin(x), x);
    backward(algebra, [f], [one], { retainGraph: true });
    backward(algebra, [f], [one]);
    const expected = Math.cos(2) * 2 + Math.sin(2);
    expect(x.grad?.value).toBeCloseTo(2 * expected, 12);
    expect(() => backward(algebra, [f], [one])).toThrow(
      /Mul: trying to backward through the graph a second time.*retainGraph: true/s,
    );
  });

  it('computes gradients of gradients with createGraph', () => {
    const x = new Scalar(0.7, true);
    const f = mul(mul(x, x), x); // x³
    const [dx] = grad(algebra, [f], [x], [one], { createGraph: true });
    expect(dx?.value).toBeCloseTo(3 * 0.49, 12);
    const [d2x] = grad(algebra, [dx!], [x], [one]);
    expect(d2x?.value).toBeCloseTo(6 * 0.7, 12);
    expect(x.grad).toBeNull(); // grad() leaves .grad alone
  });

  it('runs leaf hooks and node pre-hooks, and retains non-leaf gradients', () => {
    const x = new Scalar(3, true);
    x.gradHooks.push((g) => mul(g, new Scalar(10)));
    const h = mul(x, x);
    h.gradFn!.preHooks.push((g) => add(g, one)); // dL/dh becomes 1 + 1
    h.gradFn!.retained = new WeakRef(h);
    backward(algebra, [add(h, one)], [one]);
    expect(h.grad?.value).toBe(2);
    expect(x.grad?.value).toBe(2 * 2 * 3 * 10);
  });

  it('explains outputs that do not require grad and unused inputs', () => {
    const x = new Scalar(1, true);
    const f = noGrad(() => mul(x, x));
    expect(() => backward(algebra, [f], [one])).toThrow(/output 0 does not require grad/);
    const y = new Scalar(1, true);
    expect(() => grad(algebra, [mul(x, x)], [y], [one])).toThrow(/input 0 was not used/);
    expect(grad(algebra, [mul(x, x)], [y], [one], { allowUnused: true })).toEqual([null]);
  });

  it('handles a chain deeper than the call stack', () => {
    const x = new Scalar(1, true);
    let f = x;
    for (let i = 0; i < 50_000; i++) f = add(f, one);
    backward(algebra, [f], [one]);
    expect(x.grad?.value).toBe(1);
  });

  it('skips nodes reached only through values that do not require grad', () => {
    const x = new Scalar(2, true);
    const c = new Scalar(5);
    backward(algebra, [mul(x, c)], [one]);
    expect(x.grad?.value).toBe(5);
    expect(c.grad).toBeNull();
  });
});

describe('grad modes', () => {
  it('noGrad stops recording and restores the mode, even when the callback throws', () => {
    const x = new Scalar(2, true);
    expect(noGrad(() => mul(x, x)).requiresGrad).toBe(false);
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(mul(x, x).requiresGrad).toBe(true);
  });
});
