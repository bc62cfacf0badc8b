// The shape of the generated reference values (values.ts, written by
// scripts/reference/nn_reference.py).

export interface Recorded {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

export interface LayerReference {
  /** PyTorch's printed form of the module. */
  readonly repr: string;
  /** The state dict loaded into the module before the forward pass. */
  readonly state: Readonly<Record<string, Recorded>>;
  readonly input: Recorded;
  readonly output: Recorded;
  /** The gradients are those of sum(output * projection). */
  readonly projection: Recorded;
  readonly grads: Readonly<Record<string, Recorded>>;
  readonly inputGrad?: Recorded;
  /** The state dict after one training-mode forward pass. */
  readonly stateAfter?: Readonly<Record<string, Recorded>>;
  /** The second output of a layer that returns [values, indices] (return_indices). */
  readonly indices?: Recorded;
}

export interface LossReference {
  readonly input: Recorded;
  readonly target: Recorded;
  readonly options: Readonly<Record<string, Recorded | number | string | boolean>>;
  readonly output: Recorded;
  readonly projection: Recorded;
  readonly inputGrad: Recorded;
}

export interface GradSummary {
  readonly shape: readonly number[];
  readonly sum: number;
  readonly sumSquares: number;
  readonly weighted: number;
  readonly indices: readonly number[];
  readonly samples: readonly number[];
}

/** Two training steps of BatchNorm2d(2, momentum=None), and its state after them. */
export interface CumulativeReference {
  readonly first: Recorded;
  readonly second: Recorded;
  readonly output: Recorded;
  readonly stateAfter: Readonly<Record<string, Recorded>>;
}

export interface References {
  readonly layers: Readonly<Record<string, LayerReference>>;
  readonly batchNormCumulative: CumulativeReference;
  readonly batchNormCumulativeAfterEmpty: CumulativeReference;
  readonly losses: Readonly<Record<string, LossReference>>;
  readonly cnn: {
    readonly repr: string;
    readonly numParameters: number;
    readonly keys: readonly string[];
    readonly output: Recorded;
    readonly loss: number;
    readonly grads: Readonly<Record<string, GradSummary>>;
  };
  readonly mlp: {
    readonly repr: string;
    readonly state: Readonly<Record<string, Recorded>>;
    readonly input: Recorded;
    readonly output: Recorded;
    readonly loss: number;
    readonly grads: Readonly<Record<string, Recorded>>;
  };
  readonly safetensors: {
    readonly smallCnnOutput: Recorded;
    readonly smallCnnInput: Recorded;
    readonly smallCnnRepr: string;
  };
}

/**
 * A recurrent layer or cell (rnn-values.ts, written by scripts/reference/rnn.py): outputs,
 * final states and the gradients of sum(output · p0) + sum(state_k · p_{k+1}).
 */
export interface RecurrentReference {
  readonly repr: string;
  readonly state: Readonly<Record<string, Recorded>>;
  readonly input: Recorded;
  /** The initial states given ([h0] or [h0, c0]), if any. */
  readonly hx?: readonly Recorded[];
  /** The layers' output sequence (cells have none). */
  readonly output?: Recorded;
  /** The final states: [hN] or [hN, cN] (a cell's next state). */
  readonly states: readonly Recorded[];
  /** One per output: the output sequence's first (layers), then each state's. */
  readonly projections: readonly Recorded[];
  readonly inputGrad: Recorded;
  readonly hxGrads?: readonly Recorded[];
  readonly grads: Readonly<Record<string, Recorded>>;
}
