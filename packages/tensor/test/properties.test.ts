// Property tests of shapes, strides and views on the CPU: random shapes and random chains of
// view ops, checked against index arithmetic done by hand on the base array.
import { arange, cpu, noGrad, slice, type Tensor, tensor } from '@dl/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes } from '../src/shape.js';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Every multi-index of `shape` in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((d) => d === 0)) return;
  const index = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < numel(shape); k++) {
    yield [...index];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return out;
}

function ravel(index: readonly number[], shape: readonly number[]): number {
  return index.reduce((flat, i, d) => flat * shape[d]! + i, 0);
}

/** The base tensor 0, 1, 2, ... (float64), so every value is its own flat index in the base. */
function base(shape: readonly number[]): Tensor {
  return arange(numel(shape), undefined, 1, { dtype: 'float64' }).reshape([...shape]);
}

/** NumPy's broadcasting rule, written independently of the library's. */
function referenceBroadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const out: number[] = [];
  for (let k = 1; k <= Math.max(a.length, b.length); k++) {
    const x = a[a.length - k] ?? 1;
    const y = b[b.length - k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.unshift(x === 1 ? y : x);
  }
  return out;
}

const dimSize = fc.integer({ min: 0, max: 4 });
const shapeArb = (maxRank = 4, sizes = fc.integer({ min: 1, max: 4 })) =>
  fc.array(sizes, { minLength: 0, maxLength: maxRank });

describe('broadcastShapes', () => {
  // Shapes drawn as variations of one shape, so that compatible pairs are common.
  const pair = fc
    .tuple(
      fc.array(dimSize, { maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      fc.nat(4),
      fc.nat(4),
    )
    .map(([shape, edits, dropA, dropB]) => {
      const vary = (offset: number) =>
        shape.map((d, i) => [d, 1, d, (d + 1) % 5][edits[(i + offset) % 8]!]!);
      return [
        vary(0).slice(Math.min(dropA, shape.length)),
        vary(4).slice(Math.min(dropB, shape.length)),
      ] as const;
    });

  it('agrees with a reference implementation, and the result broadcasts with both', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const expected = referenceBroadcast(a, b);
        if (expected === null) {
          expect(() => broadcastShapes(a, b)).toThrow(/must match the size of tensor b/);
        } else {
          expect(broadcastShapes(a, b)).toEqual(expected);
          expect(broadcastShapes(b, a)).toEqual(expected);
          expect(broadcastShapes(expected, a)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives elementwise ops the same shape and values as indexing both operands by hand', async () => {
    await fc.assert(
      fc.asyncProperty(pair, async ([a, b]) => {
        const expected = referenceBroadcast(a, b);
        const x = base(a);
        const y = base(b).mul(100);
        if (expected === null) {
          expect(() => x.add(y)).toThrow(/must match/);
          return;
        }
        const sum = x.add(y);
        expect(sum.shape).toEqual(expected);
        const values = await sum.data();
        let k = 0;
        for (const index of indices(expected)) {
          const pick = (shape: readonly number[]) =>
            ravel(
              shape.map((d, i) => (d === 1 ? 0 : index[index.length - shape.length + i]!)),
              shape,
            );
          expect(values[k++]).toBe(pick(a) + 100 * pick(b));
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** A view op drawn at random; its numbers are resolved against the shape it meets. */
const viewStep = fc.record({
  kind: fc.constantFrom(
    'permute',
    'transpose',
    'slice',
    'narrow',
    'select',
    'unsqueeze',
    'squeeze',
    'expand',
    'flip',
    'reshape',
    'movedim',
    'index',
  ),
  a: fc.nat(100),
  b: fc.nat(100),
  c: fc.nat(100),
  d: fc.nat(100),
});
type ViewStep = typeof viewStep extends fc.Arbitrary<infer T> ? T : never;

/** What a view holds, by hand: its shape and, for each multi-index, the flat index into the base. */
interface Model {
  shape: number[];
  at: (index: readonly number[]) => number;
  /** Whether the tensor still reads the base's storage (views) rather than a copy. */
  shares: boolean;
}

/** Applies `step` to both the tensor and the model, or returns null when it does not apply. */
function apply(t: Tensor, model: Model, step: ViewStep): [Tensor, Model] | null {
  const { shape, at } = model;
  const rank = shape.length;
  const { a, b, c, d } = step;
  const swap = (index: readonly number[], dim: number, value: number) =>
    index.map((v, k) => (k === dim ? value : v));
  switch (step.kind) {
    case 'permute': {
      // A permutation from the numbers a..d: repeated random swaps.
      const order = [...shape.keys()];
      for (const [i, r] of [a, b, c, d].entries()) {
        if (rank < 2) break;
        const j = r % rank;
        const i2 = i % rank;
        [order[i2], order[j]] = [order[j]!, order[i2]!];
      }
      const inverse = new Array<number>(rank);
      for (const [k, dim] of order.entries()) inverse[dim] = k;
      const next: Model = {
        ...model,
        shape: order.map((dim) => shape[dim]!),
        at: (i) => at(inverse.map((k) => i[k]!)),
      };
      return [t.permute(order), next];
    }
    case 'transpose': {
      if (rank === 0) return null;
      const x = a % rank;
      const y = b % rank;
      const sw = (i: readonly number[]) => i.map((v, k) => (k === x ? i[y]! : k === y ? i[x]! : v));
      const newShape = sw(shape);
      return [
        t.transpose(x - (c % 2) * rank, y),
        { ...model, shape: newShape, at: (i) => at(sw(i)) },
      ];
    }
    case 'movedim': {
      if (rank === 0) return null;
      const from = a % rank;
      const to = b % rank;
      const order = [...shape.keys()].filter((k) => k !== from);
      order.splice(to, 0, from);
      const inverse = new Array<number>(rank);
      for (const [k, dim] of order.entries()) inverse[dim] = k;
      return [
        t.movedim(from, to - rank),
        { ...model, shape: order.map((k) => shape[k]!), at: (i) => at(inverse.map((k) => i[k]!)) },
      ];
    }
    case 'slice':
    case 'index': {
      if (rank === 0) return null;
      const dim = a % rank;
      const size = shape[dim]!;
      const start = b % (size + 1);
      const stop = start + (c % (size - start + 1));
      const stepSize = 1 + (d % 3);
      const length = Math.ceil((stop - start) / stepSize);
      const newShape = swap(shape, dim, length);
      const next: Model = {
        ...model,
        shape: newShape,
        at: (i) => at(swap(i, dim, start + i[dim]! * stepSize)),
      };
      if (step.kind === 'slice') {
        const all = Array.from({ length: dim }, () => slice());
        return [t.narrow(dim, start, stop - start).index([...all, slice(0, null, stepSize)]), next];
      }
      // The same through the string form, with a negative start where it means the same.
      const lead = new Array(dim).fill(':').join(', ');
      const from = start === size ? `${start}` : `${start - size}`;
      const spec = `${lead}${dim > 0 ? ', ' : ''}${from}:${stop}:${stepSize}, ...`;
      return [t.index(spec), next];
    }
    case 'narrow': {
      if (rank === 0) return null;
      const dim = a % rank;
      const size = shape[dim]!;
      const start = b % (size + 1);
      const length = c % (size - start + 1);
      return [
        t.narrow(dim, start, length),
        { ...model, shape: swap(shape, dim, length), at: (i) => at(swap(i, dim, start + i[dim]!)) },
      ];
    }
    case 'select': {
      if (rank === 0) return null;
      const dim = a % rank;
      const size = shape[dim]!;
      if (size === 0) return null;
      const k = b % size;
      const insert = (i: readonly number[]) => [...i.slice(0, dim), k, ...i.slice(dim)];
      const negative = c % 2 === 1;
      return [
        t.select(dim, negative ? k - size : k),
        { ...model, shape: shape.filter((_, j) => j !== dim), at: (i) => at(insert(i)) },
      ];
    }
    case 'unsqueeze': {
      if (rank >= 5) return null;
      const dim = a % (rank + 1);
      const remove = (i: readonly number[]) => i.filter((_, j) => j !== dim);
      const newShape = [...shape.slice(0, dim), 1, ...shape.slice(dim)];
      return [
        t.unsqueeze(b % 2 === 0 ? dim : dim - rank - 1),
        { ...model, shape: newShape, at: (i) => at(remove(i)) },
      ];
    }
    case 'squeeze': {
      const ones = [...shape.keys()].filter((k) => shape[k] === 1);
      if (ones.length === 0) return null;
      const dim = ones[a % ones.length]!;
      const insert = (i: readonly number[]) => [...i.slice(0, dim), 0, ...i.slice(dim)];
      return [
        t.squeeze(dim),
        { ...model, shape: shape.filter((_, j) => j !== dim), at: (i) => at(insert(i)) },
      ];
    }
    case 'expand': {
      // Size-1 dims grow to 1..3, and up to one new leading dim appears.
      const grown = shape.map((s, k) => (s === 1 ? 1 + ((a + k) % 3) : s));
      const lead = b % 2 === 1 && rank < 5 ? [1 + (c % 3)] : [];
      const target = [...lead, ...grown];
      const read = (i: readonly number[]) =>
        at(i.slice(lead.length).map((v, k) => (shape[k] === 1 ? 0 : v)));
      return [t.expand(target), { ...model, shape: target, at: read }];
    }
    case 'flip': {
      if (rank === 0) return null;
      const dims = [...shape.keys()].filter((k) => ((a >> k) & 1) === 1);
      const flipped = (i: readonly number[]) =>
        i.map((v, k) => (dims.includes(k) ? shape[k]! - 1 - v : v));
      return [t.flip(dims), { shape, at: (i) => at(flipped(i)), shares: false }];
    }
    case 'reshape': {
      // Regroup the elements into a random factorisation of the element count.
      const n = numel(shape);
      if (n === 0) return null;
      const target: number[] = [];
      let left = n;
      for (const r of [a, b, c]) {
        const divisors = Array.from({ length: left }, (_, k) => k + 1).filter(
          (k) => left % k === 0,
        );
        const f = divisors[r % divisors.length]!;
        target.push(f);
        left /= f;
      }
      target.push(left);
      const read = (i: readonly number[]) => at(unravel(ravel(i, target), shape));
      const y = d % 2 === 0 ? t.reshape(target) : t.reshape([-1, ...target.slice(1)]);
      // reshape shares storage exactly when it returns a view; the values must agree either way.
      return [
        y,
        { shape: target, at: read, shares: model.shares && y.storageRef === t.storageRef },
      ];
    }
  }
}

describe('views', () => {
  const chain = fc.tuple(
    fc.array(dimSize, { minLength: 0, maxLength: 4 }),
    fc.array(viewStep, { minLength: 1, maxLength: 5 }),
  );

  it('read the values that index arithmetic on the base array gives, and views address the base through their strides', async () => {
    await fc.assert(
      fc.asyncProperty(chain, async ([shape, steps]) => {
        const x = base(shape);
        let t = x;
        let model: Model = { shape: [...shape], at: (i) => ravel(i, shape), shares: true };
        for (const step of steps) {
          const next = apply(t, model, step);
          if (!next) continue;
          [t, model] = next;
          expect(t.shape).toEqual(model.shape);
        }
        const values = await t.data();
        expect(values.length).toBe(numel(model.shape));
        let k = 0;
        for (const index of indices(model.shape)) expect(values[k++]).toBe(model.at(index));
        if (model.shares) {
          // A view reads storage element offset + sum(index * stride), which holds its flat base index.
          const strides = t.stride();
          for (const index of indices(model.shape)) {
            expect(t.storageOffset + index.reduce((sum, v, d) => sum + v * strides[d]!, 0)).toBe(
              model.at(index),
            );
          }
        }
        expect(t.isContiguous()).toBe(
          numel(model.shape) === 0 ||
            t
              .stride()
              .every((s, d) => model.shape[d] === 1 || s === numel(model.shape.slice(d + 1))),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('contiguous() copies exactly the values a view reads', async () => {
    await fc.assert(
      fc.asyncProperty(chain, async ([shape, steps]) => {
        let t = base(shape);
        let model: Model = { shape: [...shape], at: (i) => ravel(i, shape), shares: true };
        for (const step of steps) [t, model] = apply(t, model, step) ?? [t, model];
        const c = t.contiguous();
        expect(c.isContiguous()).toBe(true);
        expect(Array.from(await c.data())).toEqual(Array.from(await t.data()));
      }),
      { numRuns: 100 },
    );
  });
});

describe('reshape and transpose', () => {
  const shapeAndTarget = shapeArb().chain((shape) => {
    const n = numel(shape);
    const factors: number[] = [];
    let left = n;
    for (let p = 2; p <= left; p++) {
      while (left % p === 0) {
        factors.push(p);
        left /= p;
      }
    }
    return fc.tuple(
      fc.constant(shape),
      fc.shuffledSubarray(factors, { minLength: factors.length }),
      fc.array(fc.nat(3), { minLength: factors.length, maxLength: factors.length }),
      fc.boolean(),
    );
  });

  it('reshape round-trips, from contiguous and transposed tensors', async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndTarget, async ([shape, factors, groups, transposed]) => {
        // Group the shuffled prime factors into a target shape with the same element count.
        const target: number[] = [];
        for (const [i, f] of factors.entries()) {
          if (i === 0 || groups[i] === 0) target.push(f);
          else target[target.length - 1]! *= f;
        }
        let x = base(shape);
        if (transposed && x.ndim >= 2) x = x.transpose(0, -1);
        const there = x.reshape(target.length > 0 ? target : []);
        expect(numel(there.shape)).toBe(numel(shape));
        const back = there.reshape(x.shape);
        expect(back.shape).toEqual(x.shape);
        expect(Array.from(await back.data())).toEqual(Array.from(await x.data()));
        expect(Array.from(await there.data())).toEqual(Array.from(await x.data()));
        if (x.isContiguous()) expect(there.storageRef).toBe(x.storageRef);
      }),
      { numRuns: 200 },
    );
  });

  it('transposing twice is the identity, with the same strides', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(), fc.nat(10), fc.nat(10), async (shape, a, b) => {
        const x = base(shape);
        const rank = Math.max(shape.length, 1);
        const d0 = (a % (2 * rank)) - rank;
        const d1 = b % rank;
        const twice = x.transpose(d0, d1).transpose(d1, d0);
        expect(twice.shape).toEqual(x.shape);
        expect(twice.stride()).toEqual(x.stride());
        expect(Array.from(await twice.data())).toEqual(Array.from(await x.data()));
        expect(x.T.T.stride()).toEqual(x.stride());
      }),
      { numRuns: 150 },
    );
  });
});

describe('expand and its gradient', () => {
  /** A shape, and a broadcast target for it: size-1 dims grown and leading dims added. */
  const expansion = fc
    .tuple(
      shapeArb(3, fc.integer({ min: 1, max: 3 })),
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
    )
    .map(([shape, grow, lead]) => {
      // A dim with grow > 0 is 1 in the source and grow in the target.
      const source = shape.map((d, i) => ((grow[i] ?? 0) > 0 ? 1 : d));
      const target = [...lead, ...shape.map((d, i) => ((grow[i] ?? 0) > 0 ? grow[i]! : d))];
      return { source, target };
    });

  it('the gradient of expand sums the output gradient over the broadcast dims', async () => {
    await fc.assert(
      fc.asyncProperty(
        expansion,
        fc.integer({ min: 1, max: 1000 }),
        async ({ source, target }, seed) => {
          const x = base(source).requiresGrad_(true);
          const y = x.expand(target);
          expect(y.shape).toEqual(target);
          const g = Array.from({ length: numel(target) }, (_, k) => ((k * seed) % 17) - 8);
          y.backward(tensor(g, { dtype: 'float64' }).reshape(target));
          // By hand: each output element adds its gradient to the source element it reads.
          const expected = new Array<number>(numel(source)).fill(0);
          const lead = target.length - source.length;
          let k = 0;
          for (const index of indices(target)) {
            const at = ravel(
              source.map((d, i) => (d === 1 ? 0 : index[lead + i]!)),
              source,
            );
            expected[at]! += g[k++]!;
          }
          expect(x.grad?.shape).toEqual(source);
          expect(Array.from(await x.grad!.data())).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('expand then sum has gradient numel(target) / numel(source) everywhere, as a broadcast add does', async () => {
    await fc.assert(
      fc.asyncProperty(expansion, async ({ source, target }) => {
        const x = base(source).requiresGrad_(true);
        x.expand(target).sum().backward();
        const ratio = numel(target) / numel(source);
        expect(Array.from(await x.grad!.data())).toEqual(new Array(numel(source)).fill(ratio));
        const w = base(source).requiresGrad_(true);
        const other = noGrad(() => base(target).mul(0));
        w.add(other).sum().backward();
        expect(Array.from(await w.grad!.data())).toEqual(new Array(numel(source)).fill(ratio));
        expect(w.grad!.device).toBe(cpu);
      }),
      { numRuns: 100 },
    );
  });
});
