// Reading safetensors headers: what the format allows loads, and everything else (bombs
// included) is a one-line error naming the limit or the fault, found before anything large
// is built.

import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { errorOf, f32Entry, safetensorsBytes } from './safetensors-bytes.js';

const four = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

/** fromBytes' error message for `bytes` (with `options`). */
function refusal(bytes: Uint8Array, options?: nn.ReadOptions): string {
  return errorOf(() => nn.fromBytes(bytes, options)).message;
}

/** `count` empty F32 tensors named t0, t1, ... */
function emptyTensors(count: number): Record<string, object> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`t${i}`, f32Entry([0], 0, 0)]),
  );
}

describe('header size', () => {
  it('refuses a header length over the limit before reading it, and says how to raise it', () => {
    expect(refusal(safetensorsBytes('{}', undefined, 2n ** 60n))).toBe(
      'fromBytes: the header of 1152921504606846976 bytes is over the 100000000-byte limit (raise it with { maxHeaderBytes })',
    );
    expect(refusal(safetensorsBytes('{}', undefined, 100_000_001n))).toBe(
      'fromBytes: the header of 100000001 bytes is over the 100000000-byte limit (raise it with { maxHeaderBytes })',
    );
  });

  it('takes another limit from maxHeaderBytes', () => {
    const bytes = safetensorsBytes({ a: f32Entry([4], 0, 16) }, four); // a 55-byte header
    expect(refusal(bytes, { maxHeaderBytes: 54 })).toBe(
      'fromBytes: the header of 55 bytes is over the 54-byte limit (raise it with { maxHeaderBytes })',
    );
    expect([...nn.fromBytes(bytes, { maxHeaderBytes: 55 }).keys()]).toEqual(['a']);
  });

  it('refuses a header that runs past the end of the bytes', () => {
    expect(refusal(safetensorsBytes('{}', undefined, 3n))).toBe(
      'fromBytes: the header of 3 bytes runs past the end of the 10 bytes: the file is truncated',
    );
  });

  it('refuses limits that are not whole numbers', () => {
    expect(refusal(new Uint8Array(16), { maxRank: -1 })).toBe(
      'fromBytes: maxRank must be a non-negative integer, got -1',
    );
    expect(refusal(new Uint8Array(16), { maxEntries: 0.5 })).toBe(
      'fromBytes: maxEntries must be a non-negative integer, got 0.5',
    );
  });
});

describe('nesting', () => {
  it('refuses brackets where the format has an object, at the first one', () => {
    // 1 MB of '[': the error is about byte 0, so nothing after it was looked at.
    expect(refusal(safetensorsBytes('['.repeat(1_000_000)))).toBe(
      "fromBytes: the header must be a JSON object ({...}), found '[' at byte 0 of the header",
    );
    const nested = `{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    expect(refusal(safetensorsBytes(nested))).toBe(
      `fromBytes: tensor "a" must be an object {"dtype", "shape", "data_offsets"}, found '[' at byte 5 of the header`,
    );
    const inShape = `{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}`;
    expect(refusal(safetensorsBytes(inShape, four.subarray(0, 4)))).toBe(
      `fromBytes: tensor "a": shape must hold non-negative integers, found '[' at byte 29 of the header`,
    );
  });

  it('skips fields it does not know, as the reference reader does, up to 64 levels deep', () => {
    const field = (depth: number) =>
      `${'['.repeat(depth)}{"x":[1.5e3,true,null,"s"]}${']'.repeat(depth)}`;
    const header = (depth: number) =>
      `{"a":{"extra":${field(depth)},"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`;
    const state = nn.fromBytes(safetensorsBytes(header(62), four));
    expect(Array.from(state.get('a')!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(refusal(safetensorsBytes(header(64), four))).toBe(
      'fromBytes: a value nested more than 64 levels deep at byte 78 of the header',
    );
  });
});

describe('entries', () => {
  it('refuses more tensors than maxEntries, stopping at the first one over', () => {
    // Entry 11 is followed by garbage: the limit is reported, so reading stopped before it.
    const text = JSON.stringify(emptyTensors(11)).replace(/}$/, ',"junk": ][');
    expect(refusal(safetensorsBytes(text), { maxEntries: 10 })).toBe(
      'fromBytes: the header lists more than 10 entries (tensors and __metadata__ keys), the limit; raise it with { maxEntries }',
    );
    expect(nn.fromBytes(safetensorsBytes(emptyTensors(10)), { maxEntries: 10 }).size).toBe(10);
  });

  it('counts metadata keys as entries, and allows 100,000 by default', () => {
    const metadata = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'v']));
    const bytes = safetensorsBytes({ __metadata__: metadata, ...emptyTensors(5) });
    expect(refusal(bytes, { maxEntries: 10 })).toMatch(/lists more than 10 entries/);
    expect(nn.metadataOf(bytes, { maxEntries: 11 })).toEqual(metadata);
    expect(nn.metadataOf(safetensorsBytes(emptyTensors(100_000)))).toBeUndefined();
    expect(refusal(safetensorsBytes(emptyTensors(100_001)))).toMatch(
      /more than 100000 entries .* raise it with \{ maxEntries \}$/,
    );
  });

  it('refuses a name, a field or a metadata key given twice', () => {
    const entry = '{"dtype":"F32","shape":[0],"data_offsets":[0,0]}';
    expect(refusal(safetensorsBytes(`{"a":${entry},"a":${entry}}`))).toBe(
      'fromBytes: the header has two entries for tensor "a" at byte 58 of the header',
    );
    expect(
      refusal(
        safetensorsBytes('{"a":{"dtype":"F32","shape":[0],"dtype":"F32","data_offsets":[0,0]}}'),
      ),
    ).toBe('fromBytes: tensor "a" has two "dtype" fields at byte 40 of the header');
    expect(refusal(safetensorsBytes('{"__metadata__":{"k":"1","k":"2"}}'))).toBe(
      'fromBytes: "__metadata__" has two entries for "k" at byte 29 of the header',
    );
    expect(refusal(safetensorsBytes('{"__metadata__":{},"__metadata__":{}}'))).toBe(
      'fromBytes: the header has two "__metadata__" entries at byte 34 of the header',
    );
  });

  it('wants metadata values that are strings', () => {
    expect(refusal(safetensorsBytes('{"__metadata__":{"epoch":3}}'))).toBe(
      `fromBytes: "__metadata__" value "epoch" must be a string, found '3' at byte 25 of the header`,
    );
    expect(refusal(safetensorsBytes('{"__metadata__":["x"]}'))).toBe(
      `fromBytes: "__metadata__" must be an object of strings, found '[' at byte 16 of the header`,
    );
  });

  it('reads names with escapes and any characters, and keeps messages on one line', () => {
    const state = nn.fromBytes(
      safetensorsBytes(
        '{"a\\u0062\\n\u00e9":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}',
        four,
      ),
    );
    expect([...state.keys()]).toEqual(['ab\n\u00e9']);
    const long = `x\n${'y'.repeat(1000)}`;
    const message = refusal(
      safetensorsBytes({ [long]: { dtype: 'Q8', shape: [], data_offsets: [0, 0] } }),
    );
    expect(message).toBe(
      `fromBytes: tensor "x\\n${'y'.repeat(55)}..." has the unknown dtype "Q8" at byte 1016 of the header`,
    );
  });

  it('refuses a name that is not UTF-8, and text after the object', () => {
    const bytes = safetensorsBytes('{"ab":{}}');
    bytes[10] = 0xff; // the 'b'
    expect(refusal(bytes)).toBe(
      'fromBytes: a string that is not valid UTF-8 at byte 1 of the header',
    );
    expect(refusal(safetensorsBytes('{} x'))).toBe(
      "fromBytes: unexpected 'x' after the header's closing '}' at byte 3 of the header",
    );
    // Spaces after it are the padding the reference writer adds.
    expect(nn.fromBytes(safetensorsBytes('{}   ')).size).toBe(0);
  });
});

describe('shapes and offsets', () => {
  const one = (entry: string, data = four) => refusal(safetensorsBytes(`{"a":${entry}}`, data));

  it('refuses more dimensions than maxRank', () => {
    const shape = (rank: number) => `[${Array(rank).fill(1).join(',')}]`;
    const entry = (rank: number) => `{"dtype":"F32","shape":${shape(rank)},"data_offsets":[0,4]}`;
    expect(one(entry(65), four.subarray(0, 4))).toBe(
      'fromBytes: tensor "a": shape has more than 64 dimensions, the limit; raise it with { maxRank }',
    );
    const bytes = safetensorsBytes(`{"a":${entry(65)}}`, four.subarray(0, 4));
    expect(nn.fromBytes(bytes, { maxRank: 65 }).get('a')!.ndim).toBe(65);
  });

  it('wants non-negative integers in plain digits, below 2^53', () => {
    const entry = (shape: string) => `{"dtype":"F32","shape":${shape},"data_offsets":[0,16]}`;
    expect(one(entry('[-4]'))).toBe(
      `fromBytes: tensor "a": shape must hold non-negative integers, found '-4' at byte 29 of the header`,
    );
    expect(one(entry('[4.0]'))).toMatch(/must hold non-negative integers, found '4.0' at byte 29/);
    expect(one(entry('[4e0]'))).toMatch(/found '4e0'/);
    expect(one(entry('[04]'))).toMatch(/found '04'/);
    expect(one(entry('["4"]'))).toMatch(/found '"'/);
    expect(one(entry('[9007199254740992]'))).toBe(
      'fromBytes: tensor "a": shape: the number 9007199254740992 is over 2^53 - 1 at byte 29 of the header',
    );
  });

  it('refuses a dtype it does not know and one dl cannot load, before reading data', () => {
    expect(one('{"dtype":"Q8","shape":[4],"data_offsets":[0,16]}')).toBe(
      'fromBytes: tensor "a" has the unknown dtype "Q8" at byte 14 of the header',
    );
    expect(one('{"dtype":"U32","shape":[4],"data_offsets":[0,16]}')).toBe(
      'fromBytes: tensor "a" has dtype U32, which dl cannot load (it reads F64, F32, F16, BF16, I64, I32, I16, I8, U16, U8, BOOL)',
    );
    expect(one('{"shape":[4],"data_offsets":[0,16]}')).toBe(
      'fromBytes: tensor "a" has no dtype at byte 40 of the header',
    );
    expect(one('{"dtype":"F32"}')).toBe(
      'fromBytes: tensor "a" has no shape or data_offsets at byte 20 of the header',
    );
  });

  it('checks the byte size against dtype and shape exactly, however large the shape', () => {
    expect(one('{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}')).toBe(
      'fromBytes: tensor "a" (F32, shape [2, 3]) needs 24 bytes but its data_offsets [0, 16] span 16',
    );
    // 4 * 2^26 * 2^26 * 2^26 = 2^80 bytes: exact, no overflow to a number that matches.
    const big = 2 ** 26;
    expect(one(`{"dtype":"F32","shape":[${big},${big},${big}],"data_offsets":[0,16]}`)).toBe(
      `fromBytes: tensor "a" (F32, shape [${big}, ${big}, ${big}]) needs 1208925819614629174706176 bytes but its data_offsets [0, 16] span 16`,
    );
    const huge = Array(5).fill(big).join(',');
    expect(one(`{"dtype":"F32","shape":[${huge}],"data_offsets":[0,16]}`)).toMatch(
      /needs more than 18446744073709551616 bytes but its data_offsets \[0, 16\] span 16$/,
    );
    // A zero anywhere makes it empty.
    const empty = safetensorsBytes(
      `{"a":{"dtype":"F32","shape":[${huge},0],"data_offsets":[0,0]}}`,
    );
    expect(nn.fromBytes(empty).get('a')!.shape).toEqual([big, big, big, big, big, 0]);
  });

  it('wants offsets that lie in the data and cover it exactly', () => {
    const entry = (begin: number, end: number, shape = '[4]') =>
      `{"dtype":"F32","shape":${shape},"data_offsets":[${begin},${end}]}`;
    expect(one(entry(16, 0))).toBe(
      'fromBytes: tensor "a" (F32, shape [4]) has data_offsets [16, 0] that end before they begin',
    );
    expect(one(entry(0, 4000000000000, '[1000000,1000000]'))).toBe(
      'fromBytes: tensor "a" (F32, shape [1000000, 1000000]) ends at byte 4000000000000 of the data, which holds only 16 bytes: the file is truncated',
    );
    expect(one(entry(0, 1, '[1]'), new Uint8Array(1))).toBe(
      'fromBytes: tensor "a" (F32, shape [1]) needs 4 bytes but its data_offsets [0, 1] span 1',
    );
    expect(one('{"dtype":"F32","shape":[4],"data_offsets":[0,16,32]}')).toBe(
      'fromBytes: tensor "a": data_offsets must be two numbers [begin, end], found more at byte 53 of the header',
    );
    expect(one('{"dtype":"F32","shape":[4],"data_offsets":[0]}')).toBe(
      'fromBytes: tensor "a": data_offsets must be two numbers [begin, end], found 1 at byte 50 of the header',
    );
    const pair = (a: string, b: string, data: Uint8Array) =>
      refusal(safetensorsBytes(`{"a":${a},"b":${b}}`, data));
    const eight = new Uint8Array(32);
    expect(pair(entry(0, 16), entry(8, 24), eight.subarray(0, 24))).toBe(
      'fromBytes: tensor "b" (data_offsets [8, 24]) overlaps the tensor before it, which ends at byte 16',
    );
    expect(pair(entry(0, 16), entry(20, 36), new Uint8Array(36))).toMatch(
      /bytes 16 to 20 of the data belong to no tensor \(tensor "b" starts at 20\)$/,
    );
    expect(pair(entry(0, 16), entry(16, 32), new Uint8Array(40))).toBe(
      'fromBytes: the tensors cover 32 bytes but the data holds 40: the file has trailing bytes',
    );
    // Empty tensors may share an offset with the tensor that starts there.
    const shared = safetensorsBytes(
      `{"a":${entry(0, 16)},"e":${entry(0, 0, '[0]')},"f":${entry(16, 16, '[2,0]')}}`,
      four,
    );
    expect([...nn.fromBytes(shared).keys()]).toEqual(['e', 'a', 'f']);
  });
});
