// Grad modes across awaits: noGrad/enableGrad with async callbacks, in Node (the mode travels
// with the callback's async context) and in the browser (the mode is global until the
// callback's promise settles). This file runs in both.
import { describe, expect, it } from 'vitest';
import { enableGrad, isGradEnabled, noGrad, setGradEnabled } from '../src/index.js';

/** Node carries async context; a browser page does not. */
const hasAsyncContext =
  typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule ===
  'function';

/** A real turn of the event loop, not only a microtask. */
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('grad modes', () => {
  it('noGrad and enableGrad cover a synchronous callback and restore the mode, also on throw', () => {
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => isGradEnabled())).toBe(false);
    expect(noGrad(() => enableGrad(() => isGradEnabled()))).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });

  it('an async noGrad callback keeps gradients off across its awaits', async () => {
    const seen: boolean[] = [];
    await noGrad(async () => {
      for (let batch = 0; batch < 3; batch++) {
        seen.push(isGradEnabled());
        await tick();
      }
      seen.push(isGradEnabled());
    });
    expect(seen).toEqual([false, false, false, false]);
    expect(isGradEnabled()).toBe(true);
  });

  it('an async enableGrad inside an async noGrad keeps gradients on across its awaits', async () => {
    const seen: boolean[] = [];
    await noGrad(async () => {
      await tick();
      await enableGrad(async () => {
        await tick();
        seen.push(isGradEnabled());
      });
      seen.push(isGradEnabled());
    });
    expect(seen).toEqual([true, false]);
    expect(isGradEnabled()).toBe(true);
  });

  it('a rejected async callback restores the mode', async () => {
    await expect(
      noGrad(async () => {
        await tick();
        throw new Error('failed batch');
      }),
    ).rejects.toThrow('failed batch');
    expect(isGradEnabled()).toBe(true);
  });

  it('code running concurrently outside an async noGrad: unaffected in Node, off in browsers until it settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inside: boolean[] = [];
    const running = noGrad(async () => {
      inside.push(isGradEnabled());
      await gate;
      inside.push(isGradEnabled());
    });
    // Another task, outside the callback, while its promise is pending.
    await tick();
    const outside = isGradEnabled();
    release();
    await running;
    expect(inside).toEqual([false, false]);
    // Browsers have no async context: the mode is global while the callback is pending
    // (documented in mode.ts and the package README).
    expect(outside).toBe(hasAsyncContext);
    expect(isGradEnabled()).toBe(true);
  });

  it('setGradEnabled inside an async callback: that callback only in Node, global in browsers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inside: boolean | undefined;
    const running = enableGrad(async () => {
      await tick();
      setGradEnabled(false);
      inside = isGradEnabled();
      await gate;
    });
    await tick();
    await tick();
    const outside = isGradEnabled(); // concurrent code, after the callback's setGradEnabled
    release();
    await running;
    expect(inside).toBe(false);
    expect(outside).toBe(hasAsyncContext);
    expect(isGradEnabled()).toBe(true);
    const previous = setGradEnabled(false);
    expect(previous).toBe(true);
    expect(isGradEnabled()).toBe(false);
    setGradEnabled(true);
  });
});
