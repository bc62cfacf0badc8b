// The autograd graph: a Node is the operation that produced a value, with the inputs it
// read and its vector-Jacobian product. The engine walks Nodes backward from an output.

/**
 * A value the engine can differentiate with respect to. Tensors implement it; so does the
 * plain-number Scalar used to test the engine.
 */
export interface Variable<V extends Variable<V>> {
  /** Whether gradients flow to (or through) this value. */
  readonly requiresGrad: boolean;
  /** The operation that produced this value, or null for a leaf. */
  readonly gradFn: Node<V> | null;
  /** The accumulated gradient of a leaf (or of a value that retains its gradient). */
  grad: V | null;
  /** Hooks run on this leaf's gradient before it is accumulated. */
  readonly gradHooks: readonly GradHook<V>[];
}

/** Called with a gradient; may return a replacement. */
export type GradHook<V> = (grad: V) => V | undefined;

/** The vector-Jacobian product: gradients for each input, null where there is none. */
export type Backward<V> = (gradOutput: V) => readonly (V | null)[];

/**
 * One operation of the graph, PyTorch's `grad_fn`: its name (`MulBackward`), the values it
 * read and its backward function, which runs once unless the graph is retained.
 */
export class Node<V extends Variable<V>> {
  /** Hooks run on the gradient of this node's output before backward (tensor hooks). */
  readonly preHooks: GradHook<V>[] = [];
  /** The output whose `.grad` is kept (retainGrad on a non-leaf), held weakly. */
  retained: WeakRef<V> | undefined;
  #backward: Backward<V> | undefined;
  #released = false;

  constructor(
    /** The operation's name, for error messages: `MulBackward`. */
    readonly name: string,
    /** The values the operation read, in the order `backward` returns their gradients. */
    readonly inputs: readonly V[],
    backward: Backward<V>,
  ) {
    this.#backward = backward;
  }

  /** Whether backward has run and freed the saved values (see release). */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Runs the backward function: one gradient per input, null where there is none. Throws
   * when the node was released by an earlier backward without `retainGraph`.
   */
  apply(gradOutput: V): readonly (V | null)[] {
    if (!this.#backward) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time (or to use saved ` +
          'values after they have been freed). Saved intermediate values of the graph are ' +
          'freed after backward(); pass { retainGraph: true } to the first backward() to ' +
          'backward through it again.',
      );
    }
    const grads = this.#backward(gradOutput);
    if (grads.length !== this.inputs.length) {
      throw new Error(
        `${this.name} returned ${grads.length} gradients for ${this.inputs.length} inputs`,
      );
    }
    return grads;
  }

  /** Drops the backward closure and whatever it saved. */
  release(): void {
    this.#backward = undefined;
    this.#released = true;
  }
}
