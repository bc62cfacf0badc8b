// fromPixels and toPixels in Node: ImageData-like objects work without a DOM, toPixels
// returns plain { data, width, height }, and a browser-only source is refused by name.

import { tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import { fromPixels, toPixels } from '../src/index.ts';

describe('fromPixels and toPixels without a DOM', () => {
  it('reads { data, width, height } and writes it back', async () => {
    const data = new Uint8ClampedArray([255, 0, 0, 255, 0, 51, 102, 255]);
    const x = fromPixels({ data, width: 2, height: 1 });
    expect(x.shape).toEqual([3, 1, 2]);
    expect(x.dataSync()).toEqual(new Float32Array([1, 0, 0, 0.2, 0, 0.4]));
    const back = await toPixels(x);
    expect(back.width).toBe(2);
    expect(back.height).toBe(1);
    expect([...back.data]).toEqual([...data]);
  });

  it('refuses a drawable source outside a browser, saying what to pass', () => {
    class HTMLCanvasElement {
      width = 2;
      height = 2;
    }
    expect(() => fromPixels(new HTMLCanvasElement() as never)).toThrow(
      'reading a HTMLCanvasElement needs OffscreenCanvas',
    );
  });

  it('refuses a 1-d tensor', async () => {
    await expect(toPixels(tensor([1, 2]))).rejects.toThrow('got shape [2]');
  });
});
