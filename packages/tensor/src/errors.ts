// Errors with a class of their own, so callers can tell them apart from bad arguments.

/**
 * An index outside the dim it indexes (gather, scatter, indexSelect, embedding, a loss's
 * class target, ...), like PyTorch's IndexError. On the CPU it is raised by the op; on
 * devices that compute later (WebGPU) the kernel records a bad index and the next
 * read or synchronize() raises it, with the same message. A RangeError, as the CPU's index
 * checks always were.
 */
export class IndexError extends RangeError {
  override readonly name = 'IndexError';
}

/**
 * Words an out-of-range index: the message of the IndexError for `index` in a dim of `size`
 * (ops built on gather and scatter name themselves and their arguments this way).
 */
export type OutOfRangeMessage = (index: number, size: number) => string;
