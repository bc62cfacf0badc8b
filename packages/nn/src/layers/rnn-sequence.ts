// One layer of RNN, LSTM or GRU in one direction over a whole sequence, forward and
// backpropagation through time, as cuDNN and PyTorch's fused kernels do it: the input's
// projection for every step comes in computed (one product, recorded by autograd), and the
// time loop has a hand-written backward (custom-backward.ts).
//
// A step costs one h · W_hhᵀ product and elementwise ops on views of one [B, G·H] tensor,
// which WebGPU fuses: a few kernels whatever the number of gates, forward and backward.
// Backward collects each step's gradient of the gates and ends with two products over all
// steps at once (for W_hh, and the input projection's gradient is their stack).

import { cat, noGrad, stack, type Tensor, tensor, where, zeros } from '@dl/tensor';
import { withBackward } from '../custom-backward.js';
import type { RecurrentMode, StepWeights } from './rnn-cells.js';

/** A layer-direction's output [T, B, H] in time order and its final state ([h] or [h, c]). */
export interface SequenceResult {
  output: Tensor;
  state: Tensor[];
}

/**
 * Runs `mode` over `projection` ([T, B, G·H], from inputProjection) from `initial` ([h0] or
 * [h0, c0]), stepping backward in time when `reverse`.
 */
export function runSequence(
  mode: RecurrentMode,
  projection: Tensor,
  initial: readonly Tensor[],
  weights: StepWeights,
  reverse: boolean,
): SequenceResult {
  const steps = projection.shape[0]!;
  // The steps in the order they run.
  const order = Array.from({ length: steps }, (_, k) => (reverse ? steps - 1 - k : k));
  const h0 = initial[0]!;
  const layer = mode === 'LSTM' ? 'LSTM' : mode === 'GRU' ? 'GRU' : 'RNN';
  if (mode === 'LSTM') {
    const c0 = initial[1]!;
    const weightHr = weights.weightHr ?? null;
    const run = noGrad(() => lstmForward(projection, h0, c0, weights.weightHh, weightHr, order));
    const [output, hN, cN] = withBackward(
      layer,
      [projection, h0, c0, weights.weightHh, weightHr],
      [run.output, run.hN, run.cN],
      ([dY, dhN, dcN]) => run.backward(dY ?? null, dhN ?? null, dcN ?? null),
    );
    return { output: output!, state: [hN!, cN!] };
  }
  if (mode === 'GRU') {
    const hidden = h0.shape[1]!;
    const biasHn = weights.biasHh ? weights.biasHh.narrow(0, 2 * hidden, hidden) : null;
    const run = noGrad(() => gruForward(projection, h0, weights.weightHh, biasHn, order));
    const [output, hN] = withBackward(
      layer,
      [projection, h0, weights.weightHh, biasHn],
      [run.output, run.hN],
      ([dY, dhN]) => run.backward(dY ?? null, dhN ?? null),
    );
    return { output: output!, state: [hN!] };
  }
  const run = noGrad(() =>
    rnnForward(mode === 'RNN_RELU', projection, h0, weights.weightHh, order),
  );
  const [output, hN] = withBackward(
    layer,
    [projection, h0, weights.weightHh],
    [run.output, run.hN],
    ([dY, dhN]) => run.backward(dY ?? null, dhN ?? null),
  );
  return { output: output!, state: [hN!] };
}

/** [G, 1] holding 0 .. G-1: a [B, G, H] expression's gate block is `block.eq(k)`. */
function blockIndex(gates: number, like: Tensor): Tensor {
  return tensor(
    Array.from({ length: gates }, (_, k) => k),
    { device: like.device, dtype: like.dtype },
  ).reshape([gates, 1]);
}

/** The state each step started from, in time order: [T, B, H] from the outputs and h0. */
function previousStates(output: Tensor, h0: Tensor, order: readonly number[]): Tensor {
  const steps = output.shape[0]!;
  const first = h0.unsqueeze(0);
  if (steps === 1) return first;
  const reverse = order[0] !== 0;
  return reverse
    ? cat([output.narrow(0, 1, steps - 1), first], 0)
    : cat([first, output.narrow(0, 0, steps - 1)], 0);
}

/** Σ_t gradsₜᵀ · xₜ over [T, B, rows] and [T, B, cols]: one [rows, cols] product. */
function sumOfOuterProducts(grads: Tensor, x: Tensor): Tensor {
  const rows = grads.shape[2]!;
  const cols = x.shape[2]!;
  return grads
    .reshape([-1, rows])
    .t()
    .matmul(x.reshape([-1, cols]));
}

/** The [T, B, features] gradient of the output at step t, added to dh, or dh alone. */
function withOutputGrad(dh: Tensor, dY: Tensor | null, t: number): Tensor {
  return dY ? dh.add(dY.select(0, t)) : dh;
}

/** An Elman RNN's forward over the steps in `order`, and its backward through them. */
function rnnForward(
  relu: boolean,
  projection: Tensor,
  h0: Tensor,
  weightHh: Tensor,
  order: readonly number[],
) {
  const outputs: Tensor[] = new Array(order.length);
  let h = h0;
  for (const t of order) {
    const pre = projection.select(0, t).add(h.matmul(weightHh.t()));
    h = relu ? pre.relu() : pre.tanh();
    outputs[t] = h;
  }
  const output = stack(outputs, 0);
  return {
    output,
    hN: h,
    backward(dY: Tensor | null, dhN: Tensor | null): (Tensor | null)[] {
      const grads: Tensor[] = new Array(order.length);
      let dh = dhN ?? zeros(h0.shape, { device: h0.device, dtype: h0.dtype });
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k]!;
        const out = outputs[t]!;
        const dOut = withOutputGrad(dh, dY, t);
        // tanh' = 1 - h², relu' = [h > 0].
        const dPre = relu ? where(out.gt(0), dOut, 0) : dOut.mul(out.square().neg().add(1));
        grads[t] = dPre;
        dh = dPre.matmul(weightHh);
      }
      const dProjection = stack(grads, 0);
      const dWeightHh = sumOfOuterProducts(dProjection, previousStates(output, h0, order));
      return [dProjection, dh, dWeightHh];
    },
  };
}

/**
 * An LSTM's forward over the steps in `order` (keeping each step's gate activations and c),
 * and its backward through them.
 */
function lstmForward(
  projection: Tensor,
  h0: Tensor,
  c0: Tensor,
  weightHh: Tensor,
  weightHr: Tensor | null,
  order: readonly number[],
) {
  const [batch, hidden] = [c0.shape[0]!, c0.shape[1]!];
  const block = blockIndex(4, c0);
  // The cell gate (block 2) is tanh'd, the others sigmoid'd: one [B, 4H] expression.
  const cellGate = tensor(
    Array.from({ length: 4 * hidden }, (_, j) => Math.floor(j / hidden) === 2),
    { device: c0.device, dtype: 'bool' },
  );
  const steps = order.length;
  const activations: Tensor[] = new Array(steps);
  const cells: Tensor[] = new Array(steps);
  const unprojected: Tensor[] = new Array(steps);
  const outputs: Tensor[] = new Array(steps);
  let [h, c] = [h0, c0];
  for (const t of order) {
    const gates = projection.select(0, t).add(h.matmul(weightHh.t()));
    const a = where(cellGate, gates.tanh(), gates.sigmoid());
    const [i, f, g, o] = a.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
    // Kept for backward: computed once here rather than again there.
    c = f.mul(c).add(i.mul(g)).realize();
    let next = o.mul(c.tanh());
    if (weightHr) {
      unprojected[t] = next;
      next = next.matmul(weightHr.t());
    }
    [activations[t], cells[t], outputs[t], h] = [a, c, next, next];
  }
  const output = stack(outputs, 0);
  return {
    output,
    hN: h,
    cN: c,
    backward(dY: Tensor | null, dhN: Tensor | null, dcN: Tensor | null): (Tensor | null)[] {
      const gateGrads: Tensor[] = new Array(steps);
      const unprojectedGrads: Tensor[] = new Array(steps);
      const zerosOf = (like: Tensor) =>
        zeros(like.shape, { device: like.device, dtype: like.dtype });
      let dh = dhN ?? zerosOf(h0);
      let dc = dcN ?? zerosOf(c0);
      const isBlock = [0, 1, 2, 3].map((k) => block.eq(k));
      // [B, H] → [B, 1, H], broadcast over the gate blocks. Only stored tensors are spread
      // so: a view of a pending result would make it a kernel of its own.
      const spread = (x: Tensor) => x.unsqueeze(1);
      for (let k = steps - 1; k >= 0; k--) {
        const t = order[k]!;
        // The gradient reaching h: from the next step and from the output.
        let dOut = withOutputGrad(dh, dY, t);
        let dOutSpread = dY ? spread(dh).add(spread(dY.select(0, t))) : spread(dh);
        if (weightHr) {
          unprojectedGrads[t] = dOut;
          dOut = dOut.matmul(weightHr);
          dOutSpread = spread(dOut);
        }
        const a = activations[t]!.view([batch, 4, hidden]);
        const [i, f, g, o] = a.unbind(1) as [Tensor, Tensor, Tensor, Tensor];
        const cPrev = k === 0 ? c0 : cells[order[k - 1]!]!;
        const tanhC = cells[t]!.tanh();
        // c's gradient, from the next step and through h = o · tanh(c); computed once, as
        // it feeds this step's gates and the previous step's c.
        const dcHere = dc.add(dOut.mul(o).mul(tanhC.square().neg().add(1))).realize();
        // Each gate's gradient before its activation, all four as one [B, 4, H] expression:
        // (the gradient reaching it) · (what it multiplies) · (its activation's slope).
        const reaching = where(isBlock[3]!, dOutSpread, spread(dcHere));
        const partner = where(
          isBlock[0]!,
          spread(g),
          where(
            isBlock[1]!,
            spread(cPrev),
            where(isBlock[2]!, spread(i), spread(cells[t]!).tanh()),
          ),
        ).realize(); // its own kernel: with it, the next one reads six tensors at most
        const slope = where(isBlock[2]!, a.square().neg().add(1), a.mul(a.neg().add(1)));
        const dGates = reaching
          .mul(partner)
          .mul(slope)
          .reshape([batch, 4 * hidden]);
        gateGrads[t] = dGates;
        dh = dGates.matmul(weightHh);
        dc = dcHere.mul(f);
      }
      const dProjection = stack(gateGrads, 0);
      const dWeightHh = sumOfOuterProducts(dProjection, previousStates(output, h0, order));
      const dWeightHr = weightHr
        ? sumOfOuterProducts(stack(unprojectedGrads, 0), stack(unprojected, 0))
        : null;
      return [dProjection, dh, dc, dWeightHh, dWeightHr];
    },
  };
}

/**
 * A GRU's forward over the steps in `order` (keeping each step's gates and h·W_hhᵀ), and its
 * backward through them.
 */
function gruForward(
  projection: Tensor,
  h0: Tensor,
  weightHh: Tensor,
  biasHn: Tensor | null,
  order: readonly number[],
) {
  const [batch, hidden] = [h0.shape[0]!, h0.shape[1]!];
  const block = blockIndex(3, h0);
  const [isR, isZ, isN] = [block.eq(0), block.eq(1), block.eq(2)];
  // Each step keeps its gates [r, z, n] ([B, 3, H]) and h·W_hᵀ.
  const steps = order.length;
  const gateValues: Tensor[] = new Array(steps);
  const hiddenProducts: Tensor[] = new Array(steps);
  const outputs: Tensor[] = new Array(steps);
  /** Block k of a [B, 3, H] tensor as [B, 1, H], broadcast over the blocks. */
  const part = (x: Tensor, k: number) => x.narrow(1, k, 1);
  /** h·W_hnᵀ + b_hn as [B, 1, H]. */
  const hiddenN = (hh: Tensor) => {
    const hn = part(hh, 2);
    return biasHn ? hn.add(biasHn) : hn;
  };
  let h = h0;
  for (const t of order) {
    const hh = h.matmul(weightHh.t()).reshape([batch, 3, hidden]);
    // r and z see x·W_ᵢᵀ + b + h·W_hᵀ (b_hr and b_hz were folded into the projection); n
    // sees x·W_inᵀ + b_in, and then r · (h·W_hnᵀ + b_hn).
    const pre = projection
      .select(0, t)
      .reshape([batch, 3, hidden])
      .add(where(isN, 0, hh))
      .realize();
    const n = part(pre, 2)
      .add(part(pre, 0).sigmoid().mul(hiddenN(hh)))
      .tanh();
    const gates = where(isN, n, pre.sigmoid()).realize();
    const [z, nGate] = [gates.select(1, 1), gates.select(1, 2)];
    h = h.sub(nGate).mul(z).add(nGate);
    [gateValues[t], hiddenProducts[t], outputs[t]] = [gates, hh, h];
  }
  const output = stack(outputs, 0);
  return {
    output,
    hN: h,
    backward(dY: Tensor | null, dhN: Tensor | null): (Tensor | null)[] {
      const projectionGrads: Tensor[] = new Array(steps);
      const hiddenGrads: Tensor[] = new Array(steps);
      let dh = dhN ?? zeros(h0.shape, { device: h0.device, dtype: h0.dtype });
      const spread = (x: Tensor) => x.unsqueeze(1);
      for (let k = steps - 1; k >= 0; k--) {
        const t = order[k]!;
        const hPrev = k === 0 ? h0 : outputs[order[k - 1]!]!;
        const gates = gateValues[t]!;
        const [r, z, n] = [part(gates, 0), part(gates, 1), part(gates, 2)];
        const dOut = dY ? spread(dh).add(spread(dY.select(0, t))) : spread(dh);
        // h = n + z · (h_prev - n). Each factor is its own kernel of at most six inputs.
        const dn = dOut.mul(z.neg().add(1)).mul(n.square().neg().add(1)).realize();
        const dz = dOut
          .mul(spread(hPrev).sub(n))
          .mul(z.mul(z.neg().add(1)))
          .realize();
        const dr = dn.mul(hiddenN(hiddenProducts[t]!)).mul(r.mul(r.neg().add(1)));
        // The projection's gradient [dr, dz, dn]; the hidden product's [dr, dz, dn · r].
        const dPre = where(isR, dr, where(isZ, dz, dn)).realize();
        const dHidden = dPre.mul(where(isN, r, 1)).reshape([batch, 3 * hidden]);
        projectionGrads[t] = dPre.reshape([batch, 3 * hidden]);
        hiddenGrads[t] = dHidden;
        dh = dOut
          .mul(z)
          .add(spread(dHidden.matmul(weightHh)))
          .realize()
          .squeeze(1);
      }
      const dProjection = stack(projectionGrads, 0);
      const dHidden = stack(hiddenGrads, 0);
      const dWeightHh = sumOfOuterProducts(dHidden, previousStates(output, h0, order));
      const dBiasHn = biasHn ? dHidden.narrow(2, 2 * hidden, hidden).sum([0, 1]) : null;
      return [dProjection, dh, dWeightHh, dBiasHn];
    },
  };
}
