import { describe, expect, it } from 'vitest';
import { WebGPUUnavailableError } from './errors.js';
import { openDevice } from './open.js';

describe('openDevice', () => {
  it('explains the fix when the implementation has no adapter', async () => {
    let asked: GPURequestAdapterOptions | undefined;
    // A stand-in for navigator.gpu or Dawn's GPU that finds no adapter; only
    // requestAdapter is reached before the error.
    const noAdapter = {
      requestAdapter: async (options?: GPURequestAdapterOptions) => {
        asked = options;
        return null;
      },
    } as unknown as GPU;
    const opening = openDevice(noAdapter, { powerPreference: 'high-performance' }, 'Install X.');
    await expect(opening).rejects.toBeInstanceOf(WebGPUUnavailableError);
    await expect(opening).rejects.toThrow('no WebGPU adapter is available. Install X.');
    expect(asked).toEqual({ powerPreference: 'high-performance' });
  });
});
