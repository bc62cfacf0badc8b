// RNN, LSTM and GRU exported as ONNX's RNN, LSTM and GRU ops: run in ONNX Runtime, they
// give the outputs and final states dl computes on the CPU (one and two layers, both
// directions, batch-first, unbatched, with and without initial states and biases), at a
// batch size other than the example's when the batch axis is dynamic.

import * as nn from '@dl/nn';
import { manualSeed, noGrad, randn, type Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { decodeModel, exportOnnx } from '../src/index.ts';
import { maxAbsDiff, runOrt } from './helpers.ts';

type Recurrent = nn.RNN | nn.LSTM | nn.GRU;
const [steps, inputSize, hidden] = [5, 4, 6];

/** Calls the layer on x and the initial states as separate tensors; returns all outputs flat. */
class WithStates extends nn.Module<Tensor[]> {
  constructor(readonly layer: Recurrent) {
    super();
  }
  override forward(x: Tensor, ...states: Tensor[]): Tensor[] {
    const { layer } = this;
    if (layer instanceof nn.LSTM) {
      const [output, [h, c]] =
        states.length === 2 ? layer.call(x, [states[0]!, states[1]!]) : layer.call(x);
      return [output, h, c];
    }
    const [output, h] = states.length === 1 ? layer.call(x, states[0]!) : layer.call(x);
    return [output, h];
  }
}

interface Case {
  make: () => Recurrent;
  /** Whether initial states are given, as graph inputs. */
  states?: boolean;
  unbatched?: boolean;
  op: 'RNN' | 'LSTM' | 'GRU';
}

const cases: Record<string, Case> = {
  RNN: { make: () => new nn.RNN(inputSize, hidden), op: 'RNN' },
  'RNN relu, two layers, both directions, with h0': {
    make: () =>
      new nn.RNN(inputSize, hidden, { nonlinearity: 'relu', numLayers: 2, bidirectional: true }),
    states: true,
    op: 'RNN',
  },
  LSTM: { make: () => new nn.LSTM(inputSize, hidden), op: 'LSTM' },
  'LSTM, two layers, both directions, batch first, with h0 and c0': {
    make: () =>
      new nn.LSTM(inputSize, hidden, { numLayers: 2, bidirectional: true, batchFirst: true }),
    states: true,
    op: 'LSTM',
  },
  'LSTM without bias, unbatched, with h0 and c0': {
    make: () => new nn.LSTM(inputSize, hidden, { bias: false }),
    states: true,
    unbatched: true,
    op: 'LSTM',
  },
  GRU: { make: () => new nn.GRU(inputSize, hidden), op: 'GRU' },
  'GRU, two layers, both directions, with h0': {
    make: () => new nn.GRU(inputSize, hidden, { numLayers: 2, bidirectional: true }),
    states: true,
    op: 'GRU',
  },
  'GRU without bias, batch first': {
    make: () => new nn.GRU(inputSize, hidden, { bias: false, batchFirst: true }),
    op: 'GRU',
  },
};

/** The input and initial states for `batch` sequences (none for unbatched input). */
function inputsFor(layer: Recurrent, spec: Case, batch: number): Tensor[] {
  const layers = layer.numLayers * layer.numDirections;
  const x = spec.unbatched
    ? randn([steps, inputSize])
    : layer.batchFirst
      ? randn([batch, steps, inputSize])
      : randn([steps, batch, inputSize]);
  if (!spec.states) return [x];
  const state = () => randn(spec.unbatched ? [layers, hidden] : [layers, batch, hidden]).mul(0.5);
  return [x, ...Array.from({ length: layer instanceof nn.LSTM ? 2 : 1 }, state)];
}

describe.each(Object.entries(cases))('%s exported to ONNX', (_, spec) => {
  it.each([13, 17, 21])(
    'gives dl output and final states in ONNX Runtime (opset %i)',
    async (opset) => {
      manualSeed(11);
      const layer = spec.make();
      const model = new WithStates(layer);
      const example = inputsFor(layer, spec, 3);
      const inputNames = example.map((__, i) => (i === 0 ? 'input' : `state${i}`));
      const outputNames = ['output', 'h_n', ...(layer instanceof nn.LSTM ? ['c_n'] : [])];
      const batchAxis = layer.batchFirst ? 0 : 1;
      const dynamicAxes = spec.unbatched
        ? {}
        : {
            input: { [batchAxis]: 'batch' },
            ...Object.fromEntries(inputNames.slice(1).map((n) => [n, { 1: 'batch' }])),
          };
      const bytes = await exportOnnx(model, example, {
        opset,
        inputNames,
        outputNames,
        dynamicAxes,
      });
      const graph = decodeModel(bytes).graph;
      const ops = graph.node.map((n) => n.opType);
      expect(ops.filter((op) => op === spec.op)).toHaveLength(layer.numLayers);
      for (const batch of spec.unbatched ? [1] : [3, 2]) {
        const inputs = batch === 3 ? example : inputsFor(layer, spec, batch);
        const expected = noGrad(() => model.call(inputs[0]!, ...inputs.slice(1)));
        const feeds = Object.fromEntries(inputNames.map((n, i) => [n, inputs[i]!]));
        for (const [k, outputName] of outputNames.entries()) {
          const got = await runOrt(bytes, feeds, outputName);
          expect(got.dims, outputName).toEqual(expected[k]!.shape);
          const diff = maxAbsDiff(got.data, expected[k]!.dataSync());
          if (process.env['DL_ONNX_REPORT'])
            console.log(
              `${_} opset ${opset} batch ${batch} ${outputName}: max |ORT - dl| = ${diff}`,
            );
          expect(diff, outputName).toBeLessThan(1e-5);
        }
      }
    },
  );
});

describe('recurrent layers that ONNX cannot express', () => {
  it('refuse an LSTM with a projection, naming it', async () => {
    const lstm = new nn.LSTM(inputSize, hidden, { projSize: 2 });
    await expect(exportOnnx(new WithStates(lstm), randn([steps, 2, inputSize]))).rejects.toThrow(
      "exportOnnx: cannot export op 'LSTM' in module 'layer': projSize has no ONNX LSTM form",
    );
  });
});
