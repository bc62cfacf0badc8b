// Kernel metadata: values past int32 are refused instead of wrapped, and elementwise params
// travel as int32 values or float32 bits by the kind the type pass gives them.

import { describe, expect, it } from 'vitest';
import { elementwiseMeta } from './elementwise.js';
import { checkedMeta, MetaRangeError } from './meta.js';

describe('kernel metadata', () => {
  it('holds int32 values and refuses what an Int32Array would wrap', () => {
    expect(Array.from(checkedMeta([2147483647, -2147483648, 0], 1))).toEqual([
      2147483647, -2147483648, 0, 0,
    ]);
    expect(() => checkedMeta([2 ** 31])).toThrow(MetaRangeError);
    expect(() => checkedMeta([-(2 ** 31) - 1])).toThrow('-2147483649');
    expect(() => checkedMeta([2500000000])).toThrow('at most 2147483647');
  });

  it('writes integer params as int32 and float params as float32 bits', () => {
    const view = { offset: 0 };
    const meta = elementwiseMeta(
      [view],
      [view],
      [16777217, 0.1, 2 ** 32 + 5],
      ['int', 'float', 'int'],
      {
        shape: [4],
        strides: [[1], [1]],
      },
    );
    const params = meta.slice(meta.length - 3);
    expect(params[0]).toBe(16777217);
    expect(new Float32Array(params.buffer, params.byteOffset + 4, 1)[0]).toBe(Math.fround(0.1));
    expect(params[2]).toBe(5); // wrapped, as PyTorch wraps an integer scalar
  });
});
