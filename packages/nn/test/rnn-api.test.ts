// The recurrent layers' API beyond PyTorch's values: constructor forms and checks, the
// errors for mis-shaped inputs and states, initialisation, dropout between layers, and
// gradients that stay right when backward runs twice or the graph is not recorded.

import { grad, manualSeed, noGrad, randn, type Tensor } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';

describe('recurrent constructors', () => {
  it('take numLayers positionally or as an option, as PyTorch does', () => {
    expect(new nn.LSTM(3, 5, 2).numLayers).toBe(2);
    expect(new nn.GRU(3, 5, 3, { bidirectional: true }).toString()).toBe(
      'GRU(3, 5, num_layers=3, bidirectional=True)',
    );
    expect(new nn.RNN(3, 5, { numLayers: 2, dropout: 0.5 }).toString()).toBe(
      'RNN(3, 5, num_layers=2, dropout=0.5)',
    );
    expect(() => new nn.LSTM(3, 5, 2, { numLayers: 2 })).toThrow(/numLayers given twice/);
  });

  it('refuse bad sizes and options with the value named', () => {
    expect(() => new nn.LSTM(0, 5)).toThrow(/inputSize must be a positive integer, got 0/);
    expect(() => new nn.GRU(3, 2.5)).toThrow(/hiddenSize must be a positive integer, got 2.5/);
    expect(() => new nn.RNN(3, 5, { dropout: 1.5 })).toThrow(
      /dropout should be a number in range \[0, 1\]/,
    );
    expect(() => new nn.RNN(3, 5, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(
      /Unknown nonlinearity 'sigmoid'/,
    );
    expect(() => new nn.LSTM(3, 5, { projSize: 5 })).toThrow(
      /projSize \(5\) has to be smaller than hiddenSize \(5\)/,
    );
    expect(() => new nn.GRU(3, 5, { batch_first: true } as never)).toThrow(
      /unknown option 'batch_first' \(did you mean 'batchFirst'/,
    );
    expect(() => new nn.LSTMCell(3, 5, { nonlinearity: 'relu' } as never)).toThrow(
      /unknown option 'nonlinearity'/,
    );
  });

  it('initialise every parameter uniformly on ±1/sqrt(hiddenSize)', async () => {
    manualSeed(3);
    const hidden = 16;
    for (const module of [
      new nn.LSTM(8, hidden, { numLayers: 2, bidirectional: true }),
      new nn.GRUCell(8, hidden),
    ]) {
      const bound = 1 / Math.sqrt(hidden);
      for (const [name, p] of module.namedParameters()) {
        const values = await p.data();
        const [lo, hi] = [Math.min(...values), Math.max(...values)];
        expect(lo, name).toBeGreaterThanOrEqual(-bound);
        expect(hi, name).toBeLessThanOrEqual(bound);
        // Spread over the range, not a constant.
        expect(hi - lo, name).toBeGreaterThan(bound);
      }
    }
  });

  it('list the weights of each layer and direction in PyTorch order', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    expect(lstm.allWeights.map((ws) => ws.map((w) => w.shape))).toEqual(
      Array.from({ length: 4 }, (_, k) => [[16, k < 2 ? 3 : 4], [16, 2], [16], [16], [2, 4]]),
    );
    const names = [...lstm.stateDict().keys()];
    expect(names.slice(0, 10)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_hr_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
      'weight_hr_l0_reverse',
    ]);
  });
});

describe('recurrent shape checks', () => {
  const lstm = new nn.LSTM(3, 5, { numLayers: 2 });

  it('name the input shape that does not fit', () => {
    expect(() => lstm.call(randn([2, 4, 3, 1]))).toThrow(
      'LSTM: Expected input to be 2-D or 3-D but received 4-D tensor of shape [2, 4, 3, 1]',
    );
    expect(() => lstm.call(randn([7, 2, 4]))).toThrow(
      'LSTM: input.size(-1) must be equal to input_size. Expected 3, got 4 (input of shape [7, 2, 4])',
    );
    expect(() => lstm.call(randn([0, 2, 3]))).toThrow(/the input has no time steps/);
  });

  it('name the initial states that do not fit', () => {
    const x = randn([7, 2, 3]);
    const good = randn([2, 2, 5]);
    expect(() => lstm.call(x, [randn([1, 2, 5]), good])).toThrow(
      'LSTM: Expected hidden[0] size (2, 2, 5), got [1, 2, 5]',
    );
    expect(() => lstm.call(x, [good, randn([2, 3, 5])])).toThrow(
      'LSTM: Expected hidden[1] size (2, 2, 5), got [2, 3, 5]',
    );
    expect(() => lstm.call(randn([7, 3]), [good, good])).toThrow(
      /For unbatched 2-D input, hx should also be 2-D but got 3-D/,
    );
    expect(() => lstm.call(x, good as never)).toThrow(/hx must be a pair \[h0, c0\]/);
    expect(() => new nn.GRU(3, 5).call(x, randn([2, 5]))).toThrow(
      /For batched 3-D input, hx should also be 3-D but got 2-D/,
    );
  });

  it('check the cells as PyTorch does', () => {
    const cell = new nn.GRUCell(3, 5);
    expect(() => cell.call(randn([2, 4]))).toThrow(
      'GRUCell: input has inconsistent input_size: got 4 expected 3',
    );
    expect(() => cell.call(randn([2, 3]), randn([3, 5]))).toThrow(
      "GRUCell: Input batch size 2 doesn't match hx batch size 3",
    );
    expect(() => cell.call(randn([2, 3]), randn([2, 4]))).toThrow(
      'GRUCell: hx has inconsistent hidden_size: got 4, expected 5',
    );
    expect(() => new nn.LSTMCell(3, 5).call(randn([3]), [randn([2, 5]), randn([2, 5])])).toThrow(
      /Expected hx to be 1-D for unbatched 1-D input but received 2-D/,
    );
    expect(() => cell.call(randn([1, 2, 3]))).toThrow(/Expected input to be 1-D or 2-D/);
  });
});

describe('recurrent behaviour', () => {
  it('applies dropout between layers in training only', async () => {
    manualSeed(5);
    const gru = new nn.GRU(4, 8, { numLayers: 2, dropout: 0.5 });
    const x = randn([6, 2, 4]);
    gru.eval();
    const [a] = gru.call(x);
    const [b] = gru.call(x);
    await assertClose(a, b, { rtol: 0, atol: 0 });
    gru.train();
    const [c] = gru.call(x);
    const [d] = gru.call(x);
    expect(await c.sub(d).abs().max().item()).toBeGreaterThan(1e-3);
    // A single layer has no layer to drop between: training changes nothing.
    const single = new nn.GRU(4, 8, { dropout: 0.5 });
    await assertClose(single.call(x)[0], single.eval().call(x)[0], { rtol: 0, atol: 0 });
  });

  it('gives the same gradients on a second backward through a retained graph', async () => {
    manualSeed(6);
    const lstm = new nn.LSTM(3, 4, { bidirectional: true });
    const x = randn([5, 2, 3]).requiresGrad_(true);
    const [out] = lstm.call(x);
    const loss = out.mul(out).sum();
    loss.backward(undefined, { retainGraph: true });
    const first = [x.grad!.clone(), lstm.getParameter('weight_ih_l0')!.grad!.clone()];
    loss.backward();
    await assertClose(x.grad!, first[0]!.mul(2), { rtol: 1e-5, atol: 1e-6 });
    await assertClose(lstm.getParameter('weight_ih_l0')!.grad!, first[1]!.mul(2), {
      rtol: 1e-5,
      atol: 1e-6,
    });
  });

  it('gives the gradient of only the steps a loss uses', async () => {
    manualSeed(7);
    const gru = new nn.GRU(3, 4);
    const x = randn([6, 2, 3]).requiresGrad_(true);
    const [out] = gru.call(x);
    // Only step 2 counts: steps after it have no gradient, steps before it do.
    out.select(0, 2).sum().backward();
    const grad = x.grad!;
    expect(await grad.narrow(0, 3, 3).abs().sum().item()).toBe(0);
    expect(await grad.narrow(0, 0, 3).abs().sum().item()).toBeGreaterThan(0);
  });

  it('gives the same values without recording a graph, and gradients to frozen layers inputs', async () => {
    manualSeed(8);
    const lstm = new nn.LSTM(3, 4, 2);
    const x = randn([5, 2, 3]);
    const [recorded] = lstm.call(x);
    const [plain] = noGrad(() => lstm.call(x));
    expect(plain.requiresGrad).toBe(false);
    await assertClose(plain, recorded, { rtol: 0, atol: 0 });
    // Frozen weights, an input that wants its gradient (saliency, adversarial inputs).
    lstm.requiresGrad_(false);
    const input = x.clone().requiresGrad_(true);
    lstm.call(input)[0].sum().backward();
    expect(input.grad?.shape).toEqual([5, 2, 3]);
    expect(await input.grad!.abs().sum().item()).toBeGreaterThan(0);
    for (const p of lstm.parameters()) expect(p.grad).toBeNull();
  });

  it('give grad() the gradients backward() accumulates, for weights and initial states', async () => {
    manualSeed(9);
    const gru = new nn.GRU(3, 4, { numLayers: 2 });
    const x = randn([5, 2, 3]);
    const h0 = randn([2, 2, 4]).requiresGrad_(true);
    const weight = gru.getParameter('weight_hh_l1')!;
    const loss = () => gru.call(x, h0)[0].square().sum();
    const [dWeight, dH0] = grad([loss()], [weight, h0]);
    expect(weight.grad).toBeNull();
    loss().backward();
    await assertClose(dWeight!, weight.grad!, { rtol: 1e-6, atol: 1e-7 });
    await assertClose(dH0!, h0.grad!, { rtol: 1e-6, atol: 1e-7 });
    // Only the initial state requires grad: it still gets its gradient.
    gru.requiresGrad_(false);
    h0.grad = null;
    loss().backward();
    await assertClose(h0.grad!, dH0!, { rtol: 1e-6, atol: 1e-7 });
  });

  it('refuse a gradient of a gradient, and a weight changed in place before backward', () => {
    manualSeed(10);
    const lstm = new nn.LSTM(3, 4);
    const x = randn([5, 2, 3]).requiresGrad_(true);
    // The backward through time is written by hand, like cuDNN's, and records no graph.
    expect(() => grad([lstm.call(x)[0].sum()], [x], { createGraph: true })).toThrow(
      'LSTM: backward with createGraph (a gradient of a gradient) is not supported through it',
    );
    const loss = lstm.call(x)[0].sum();
    noGrad(() => lstm.getParameter('weight_hh_l0')!.mul_(2));
    expect(() => loss.backward()).toThrow(/modified by an in-place operation/);
  });

  it('types call by forward: [output, hN] and [output, [hN, cN]]', () => {
    const x = randn([4, 2, 3]);
    const [output, hN]: [Tensor, Tensor] = new nn.RNN(3, 5).call(x);
    const [, [h, c]]: [Tensor, [Tensor, Tensor]] = new nn.LSTM(3, 5, { projSize: 2 }).call(x);
    const next: Tensor = new nn.GRUCell(3, 5).call(x.select(0, 0));
    expect([output.shape, hN.shape, h.shape, c.shape, next.shape]).toEqual([
      [4, 2, 5],
      [1, 2, 5],
      [1, 2, 2],
      [1, 2, 5],
      [2, 5],
    ]);
  });
});
