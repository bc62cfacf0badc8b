// Random numbers: a seedable generator (xoshiro128**) producing the same stream on every
// platform. Random tensors are drawn on the host and copied to their device, so a seed
// gives the same values on every backend.

import { describeValue } from './args.js';

/** A random number generator with PyTorch's Generator interface. */
export class Generator {
  #s = new Uint32Array(4);
  #initialSeed = 0;
  /** A spare normal deviate from the last Box-Muller pair. */
  #spare: number | undefined;

  constructor(seed?: number) {
    this.manualSeed(seed ?? Date.now());
  }

  /** Restarts the stream from `seed` and returns the generator. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed))
      throw new RangeError(`manualSeed: seed must be a finite number, got ${describeValue(seed)}`);
    this.#initialSeed = seed;
    // splitmix32 spreads the seed over the state, so nearby seeds give unrelated streams.
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
    this.#spare = undefined;
    return this;
  }

  /** The seed the stream last started from (PyTorch's `initial_seed()`). */
  initialSeed(): number {
    return this.#initialSeed;
  }

  /**
   * The generator's state, to save and restore with setState: four 32-bit words and the
   * spare normal deviate (NaN when there is none, which JSON writes as null; setState takes
   * either back).
   */
  getState(): number[] {
    return [...this.#s, this.#spare ?? Number.NaN];
  }

  /**
   * Restores a state getState returned (also after a JSON round trip, which turns the NaN
   * into null), so the stream continues from there; returns the generator. A state that
   * getState cannot have returned is refused, leaving the generator as it was.
   */
  setState(state: readonly (number | null)[]): this {
    if (!Array.isArray(state) || state.length !== 5)
      throw new Error(
        `Generator.setState: expected 5 numbers (getState's four words and spare), got ${Array.isArray(state) ? `${state.length} values` : typeof state}`,
      );
    const words = state.slice(0, 4);
    words.forEach((word, i) => {
      if (typeof word !== 'number' || !Number.isInteger(word) || word < 0 || word > 0xffffffff)
        throw new Error(
          `Generator.setState: word ${i} must be an integer from 0 to 4294967295, got ${word}`,
        );
    });
    if (words.every((word) => word === 0))
      throw new Error('Generator.setState: the four words are all 0, which no generator reaches');
    const spare = state[4];
    if (
      spare !== null &&
      (typeof spare !== 'number' || !(Number.isNaN(spare) || Number.isFinite(spare)))
    )
      throw new Error(
        `Generator.setState: the spare deviate must be a finite number, NaN or null (none), got ${spare}`,
      );
    for (let i = 0; i < 4; i++) this.#s[i] = words[i] as number;
    this.#spare = spare === null || Number.isNaN(spare) ? undefined : spare;
    return this;
  }

  /** The next 32 random bits. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits (every value exact in float32). */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /** A standard normal deviate (Box-Muller). */
  nextNormal(): number {
    if (this.#spare !== undefined) {
      const value = this.#spare;
      this.#spare = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** An integer uniform in [low, high), without modulo bias. */
  nextInt(low: number, high: number): number {
    const range = high - low;
    if (range <= 0) throw new RangeError(`random integer: empty range [${low}, ${high})`);
    if (range <= 2 ** 32) {
      const limit = 2 ** 32 - (2 ** 32 % range);
      let r = this.nextUint32();
      while (r >= limit) r = this.nextUint32();
      return low + (r % range);
    }
    return low + Math.floor(this.nextDouble() * range);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let defaultGenerator: Generator | undefined;

/** The generator random functions use when given none (seeded from the clock until manualSeed). */
export function globalGenerator(): Generator {
  defaultGenerator ??= new Generator();
  return defaultGenerator;
}

/** Seeds the global generator, like torch.manual_seed: initialisation, shuffling and dropout repeat. */
export function manualSeed(seed: number): Generator {
  return globalGenerator().manualSeed(seed);
}
