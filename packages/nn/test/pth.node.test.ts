// torch.save files written by PyTorch 1.13 (scripts/reference/pth.py), in the zip format and the
// legacy one, load with the values PyTorch recorded: state dicts, the MNIST CNN (whose outputs
// must match PyTorch's), views, every dtype, a training checkpoint. Malicious pickles are refused
// by name without running anything, and bad files are clear errors.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { memory, type Tensor, tensor } from '@dl/tensor';
import { beforeEach, describe, expect, it } from 'vitest';
import * as nn from '../src/node.js';
import { crc32, readZipDirectory, zipEntryBytes } from '../src/zip.js';
import { devices } from './devices.js';
import { expectRecorded } from './helpers.js';
import {
  concat,
  expected,
  expectTensor,
  fixture,
  fixtures,
  float32Bytes,
  type LegacyStorage,
  legacyFile,
  numbers,
  Pickle,
  pwned,
  zipOf,
} from './pth-files.js';
import { DigitRecognizer, mlp } from './test-models.js';

const formats = [
  ['zip', '.pth'],
  ['legacy', '.legacy.pth'],
] as const;

const path = (name: string) => join(fixtures, name);

function expectState(state: ReadonlyMap<string, Tensor>, recorded: Record<string, unknown>) {
  expect([...state.keys()]).toEqual(Object.keys(recorded));
  for (const [key, t] of state) expectTensor(t, expected.mlp[key]!, key);
}

describe.each(formats)('a state dict in the %s format', (_, suffix) => {
  it('load() reads it into a Map in file order, with the exact values', async () => {
    const state = await nn.load(path(`mlp${suffix}`));
    expectState(state, expected.mlp);
    const model = mlp();
    expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(model.stateDict().get('1.num_batches_tracked')!.itemSync()).toBe(3);
  });

  it("the MNIST CNN gives PyTorch's outputs", async () => {
    const state = await nn.load(path(`mnist-cnn${suffix}`));
    for (const [key, summary] of Object.entries(expected.mnist.state)) {
      const values = Array.from(state.get(key)!.dataSync());
      expect([...state.get(key)!.shape], key).toEqual(summary.shape);
      expect(values.slice(0, 5), key).toEqual(summary.head);
      expect(values.slice(-5), key).toEqual(summary.tail);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(summary.sum, 6);
      expect(values.reduce((a, b) => a + b * b, 0)).toBeCloseTo(summary.sumSquares, 6);
    }
    const model = new DigitRecognizer();
    model.loadStateDict(state);
    model.eval();
    const { input, output } = expected.mnist;
    const x = tensor(Float32Array.from(numbers(input.values))).reshape(input.shape);
    await expectRecorded(
      model.call(x),
      { shape: output.shape, values: numbers(output.values) },
      'output',
    );
  });
});

describe('other pickle protocols and containers', () => {
  it.each(['mlp.p4.pth', 'mlp.p5.legacy.pth', 'mlp.deflated.pth'])('%s loads', async (name) => {
    expectState(await nn.load(path(name)), expected.mlp);
  });

  it('fromTorchBytes refuses DEFLATE entries with a clear error (load() inflates them)', () => {
    expect(() => nn.fromTorchBytes(fixture('mlp.deflated.pth'))).toThrow(
      /pth: entry "mlp\/data.pkl" is compressed with DEFLATE, which torch.save never writes/,
    );
  });

  it('both formats of the MNIST CNN hold the same bytes', async () => {
    const zip = await nn.load(path('mnist-cnn.pth'));
    const legacy = await nn.load(path('mnist-cnn.legacy.pth'));
    for (const [key, t] of zip) {
      const [a, b] = [t.dataSync(), legacy.get(key)!.dataSync()];
      const bytes = (x: typeof a) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      expect(bytes(a).equals(bytes(b)), key).toBe(true);
    }
  });
});

describe.each(devices)('the MNIST CNN from a .pth file on %s', (_, device) => {
  it("gives PyTorch's outputs", async () => {
    const model = new DigitRecognizer();
    model.loadStateDict(await nn.load(path('mnist-cnn.pth')));
    model.to(device).eval();
    const { input, output } = expected.mnist;
    const x = tensor(Float32Array.from(numbers(input.values)), { device }).reshape(input.shape);
    await expectRecorded(
      model.call(x),
      { shape: output.shape, values: numbers(output.values) },
      'output',
    );
  });
});

describe.each(formats)('tensors in the %s format', (_, suffix) => {
  it('views, offsets, strides, shared storage, scalars and empty tensors come back exact', async () => {
    const views = (await nn.loadTorch(path(`views${suffix}`))) as nn.TorchDict;
    expect(Object.keys(views)).toEqual(Object.keys(expected.views));
    for (const [key, recorded] of Object.entries(expected.views))
      expectTensor(views[key], recorded, key);
  });

  it('every dtype converts exactly (float16, bfloat16 to float32; integers to int32)', async () => {
    const dtypes = (await nn.loadTorch(path(`dtypes${suffix}`))) as nn.TorchDict;
    expect(Object.keys(dtypes)).toEqual(Object.keys(expected.dtypes));
    for (const [key, recorded] of Object.entries(expected.dtypes))
      expectTensor(dtypes[key], recorded, key);
  });

  it('an int64 value outside int32 is an error naming the tensor and the value', async () => {
    await expect(nn.load(path(`int64-overflow${suffix}`))).rejects.toThrow(
      /int64-overflow.*: pth: the tensor at \["big"\] \(int64, size \[3\]\) holds 1099511627776 at index 1, which does not fit dl's int32/,
    );
  });
});

describe.each([...formats, ['zip, pickle protocol 4', '.p4.pth'] as const])(
  'a training checkpoint in the %s format',
  (_, suffix) => {
    it('comes back as a plain object of the same shape', async () => {
      const checkpoint = (await nn.loadTorch(path(`checkpoint${suffix}`))) as nn.TorchDict;
      const { epoch, loss, name, history, flags, raw, big, negative, shape, classes } = checkpoint;
      expect({ epoch, loss, name, history, flags, raw, big, negative, shape, classes }).toEqual({
        epoch: 3,
        loss: expected.checkpoint.loss,
        name: 'mlp \u2713',
        history: [0.9, 0.5, expected.checkpoint.loss],
        flags: [true, false, null],
        raw: new Uint8Array([0, 255, 16]),
        big: 2n ** 70n,
        negative: -(2n ** 63n),
        shape: [2, 3],
        classes: { 1: 'one', 2: 'two' },
      });
      expect(Object.isFrozen(flags), 'tuples are frozen arrays').toBe(true);
      expect(Object.isFrozen(history), 'lists are arrays').toBe(false);
    });

    it("its model state loads with loadStateDict, and the optimizer's state is there", async () => {
      const checkpoint = (await nn.loadTorch(path(`checkpoint${suffix}`))) as nn.TorchDict;
      const model = mlp();
      model.loadStateDict(nn.asStateDict(checkpoint['model_state_dict']));
      for (const [key, t] of model.stateDict())
        expectTensor(t, expected.checkpoint.model[key]!, key);
      // The plain object works as it is too (loadStateDict checks each value is a tensor).
      mlp().loadStateDict(checkpoint['model_state_dict'] as Record<string, Tensor>);

      const optimizer = checkpoint['optimizer_state_dict'] as nn.TorchDict;
      const state = optimizer['state'] as nn.TorchDict;
      expect(Object.keys(state)).toEqual(Object.keys(expected.checkpoint.optimizerState));
      for (const [index, fields] of Object.entries(expected.checkpoint.optimizerState))
        for (const [field, recorded] of Object.entries(fields))
          expectTensor((state[index] as nn.TorchDict)[field], recorded, `state[${index}].${field}`);
      expect(optimizer['param_groups']).toEqual(expected.checkpoint.paramGroups);
    });

    it('load() says to read it with loadTorch', async () => {
      await expect(nn.load(path(`checkpoint${suffix}`))).rejects.toThrow(
        /pth: load\(\) reads files that hold a state dict, and this one holds a dict whose entries "epoch" \(the number 3\), .* are not tensors\. Read it with loadTorch\(path\)/,
      );
    });
  },
);

describe('asStateDict', () => {
  it('names what is not a tensor', () => {
    expect(() => nn.asStateDict({ a: tensor([1]), b: 2, c: [1] })).toThrow(
      `asStateDict: expected a state dict (a dict of tensors), got a dict whose entries "b" (the number 2), "c" (a list) are not tensors`,
    );
    expect(() => nn.asStateDict(undefined)).toThrow(/got undefined \(a missing key\?\)/);
    expect(
      nn
        .asStateDict({ w: tensor([1]) })
        .get('w')!
        .toArraySync(),
    ).toEqual([1]);
  });
});

describe('malicious pickles', () => {
  beforeEach(() => rmSync(pwned, { force: true }));

  it.each([
    ['evil.pkl', 'posix.system', 'byte 2 of the file'],
    ['evil-eval.p4.pkl', 'builtins.eval', 'byte 29 of the file'],
    ['evil.pth', 'posix.system', 'byte 180 of evil/data.pkl'],
    ['evil.legacy.pth', 'posix.system', 'of the file'],
    ['evil-popen.p4.pth', 'subprocess.Popen', 'of evil-popen.p4/data.pkl'],
  ])('%s is refused, naming %s, and nothing runs', async (name, global, where) => {
    const before = memory().tensors;
    // The zip and legacy files hold a tensor before the payload: it is never made.
    expect(() => nn.fromTorchBytes(fixture(name))).toThrow(
      `pth: refusing global ${global}: only tensors, storages, OrderedDict and torch.Size are allowed, and nothing in the file was run`,
    );
    expect(memory().tensors).toBe(before);
    await expect(nn.loadTorch(path(name))).rejects.toThrow(where);
    if (name.endsWith('.pth'))
      await expect(nn.load(path(name))).rejects.toThrow(`refusing global ${global}`);
    expect(existsSync(pwned)).toBe(false);
  });

  const refusals: [string, Pickle, RegExp][] = [
    [
      'STACK_GLOBAL os.system',
      new Pickle().proto(4).stackGlobal('os', 'system'),
      /refusing global os\.system/,
    ],
    [
      'builtins.getattr',
      new Pickle().proto().global('builtins', 'getattr'),
      /refusing global builtins\.getattr/,
    ],
    [
      'a whole model',
      new Pickle().proto().global('__main__', 'Net'),
      /refusing global __main__\.Net: .*save model\.state_dict\(\) instead/,
    ],
    [
      'TorchScript',
      new Pickle().proto().global('__torch__.model', 'Net'),
      /looks like TorchScript/,
    ],
    [
      'a complex storage',
      new Pickle().proto().global('torch', 'ComplexFloatStorage'),
      /dl has no dtype for ComplexFloatStorage/,
    ],
    [
      'calling a storage class',
      new Pickle().proto().global('torch', 'FloatStorage').emptyTuple().reduce(),
      /torch\.FloatStorage is a storage class; dl does not call it/,
    ],
    [
      'REDUCE of a string',
      new Pickle().proto().str('os.system').emptyTuple().reduce(),
      /REDUCE calls the str "os\.system"; only allowed globals can be called/,
    ],
    [
      'INST',
      new Pickle()
        .proto()
        .mark()
        .raw(0x69, ...new TextEncoder().encode('os\nsystem\n')),
      /opcode INST is not allowed/,
    ],
    [
      'NEWOBJ',
      new Pickle().proto().global('collections', 'OrderedDict').emptyTuple().raw(0x81),
      /opcode NEWOBJ is not allowed/,
    ],
    [
      'BUILD of a tensor',
      new Pickle().proto().tensor('0', 'FloatStorage', 1, 0, [1], [1]).emptyDict().build(),
      /BUILD of a tensor .* is not allowed/,
    ],
    [
      'a persistent id that is not a storage',
      new Pickle().proto().mark().str('module').none().none().none().tuple().persistentId(),
      /the file holds a whole model \(torch\.save\(model\)\)/,
    ],
    [
      '_codecs.encode with another codec',
      new Pickle()
        .proto()
        .global('_codecs', 'encode')
        .mark()
        .str('x')
        .str('rot13')
        .tuple()
        .reduce(),
      /_codecs\.encode is allowed only as encode\(str, 'latin1'\)/,
    ],
  ];
  it.each(refusals)('%s is refused', (_, pickle, message) => {
    const file = legacyFile(pickle.stop());
    expect(() => nn.fromTorchBytes(file)).toThrow(message);
  });
});

describe('hand-built files', () => {
  const four: LegacyStorage[] = [{ key: '0', numel: 4, data: float32Bytes([1, 2, 3, 4]) }];
  const one = (main: Pickle, storages: LegacyStorage[] = []) =>
    nn.fromTorchBytes(legacyFile(main.stop(), storages));

  it('a strided view reads the elements PyTorch would', () => {
    const t = one(new Pickle().proto().tensor('0', 'FloatStorage', 4, 1, [2], [2]), four) as Tensor;
    expect(t.toArraySync()).toEqual([2, 4]);
  });

  it('a view past its storage is an error naming the element', () => {
    expect(() =>
      one(new Pickle().proto().tensor('0', 'FloatStorage', 4, 1, [2], [3]), four),
    ).toThrow(
      'pth: the tensor at the top level (float32, size [2]) reads element 4 of storage 0 (torch.FloatStorage), which holds 4 (stride [3], offset 1)',
    );
  });

  it('a stride-0 view may not expand a small file without bound', () => {
    expect(() =>
      one(new Pickle().proto().tensor('0', 'FloatStorage', 4, 0, [2 ** 30], [0]), four),
    ).toThrow(
      /pth: the tensor at the top level \(float32, size \[1073741824\]\) takes the elements to make past \d+ \(twice the file's bytes, plus 2\^24\)/,
    );
    const big = one(
      new Pickle().proto().tensor('0', 'FloatStorage', 4, 0, [1000, 3], [0, 1]),
      four,
    ) as Tensor;
    expect(big.shape).toEqual([1000, 3]);
    expect(big.sum().itemSync()).toBe(6000);
  });

  it('storage sizes must match the data', () => {
    expect(() =>
      one(new Pickle().proto().tensor('0', 'FloatStorage', 5, 0, [1], [1]), four),
    ).toThrow('pth: storage 0 should hold 5 elements but the file says 4');
    expect(() =>
      nn.fromTorchBytes(
        legacyFile(
          new Pickle().proto().tensor('0', 'FloatStorage', 4, 0, [1], [1]).stop(),
          [],
        ).subarray(0),
      ),
    ).toThrow('pth: storage 0 is used but the file holds no data for it');
    const file = legacyFile(
      new Pickle().proto().tensor('0', 'FloatStorage', 4, 0, [1], [1]).stop(),
      [{ key: '0', numel: 4, data: float32Bytes([1, 2, 3, 4]) }],
    );
    expect(() => nn.fromTorchBytes(file.subarray(0, file.length - 3))).toThrow(
      /runs past the end of the file .*: the file is truncated/,
    );
  });

  it('plain data: ints of every size, floats, strings, shared references, a __proto__ key', () => {
    const main = new Pickle().proto().emptyDict();
    main
      .str('ints')
      .mark()
      .int(0)
      .int(255)
      .int(-1)
      .int(2 ** 31 - 1);
    main
      .int(2n ** 53n - 1n)
      .int(2n ** 64n)
      .int(-(2n ** 100n))
      .raw(0x6c)
      .setItem(); // LIST
    main.str('float').float(-0.1).setItem();
    main.str('text').str('caf\u00e9 \u{1f600}').setItem();
    main.str('shared').emptyList().put(1).int(7).append().setItem();
    main.str('again').get(1).setItem();
    main.str('__proto__').str('an ordinary key').setItem();
    const value = one(main) as nn.TorchDict;
    expect(value['ints']).toEqual([0, 255, -1, 2 ** 31 - 1, 2 ** 53 - 1, 2n ** 64n, -(2n ** 100n)]);
    expect(value['float']).toBe(-0.1);
    expect(value['text']).toBe('caf\u00e9 \u{1f600}');
    expect(value['again']).toBe(value['shared']);
    expect(Object.keys(value)).toContain('__proto__');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('refuses cycles, deep nesting, colliding and unhashable keys', () => {
    const cycle = new Pickle().proto().emptyList().put(0).get(0).append();
    expect(() => one(cycle)).toThrow(
      'pth: [0] contains itself; a torch.save file never holds a cycle',
    );
    const deep = new Pickle().proto();
    for (let i = 0; i < 1200; i++) deep.emptyList();
    for (let i = 0; i < 1199; i++) deep.append();
    expect(() => one(deep)).toThrow(/is nested more than 1000 levels deep/);
    const colliding = new Pickle()
      .proto()
      .emptyDict()
      .int(1)
      .none()
      .setItem()
      .str('1')
      .none()
      .setItem();
    expect(() => one(colliding)).toThrow(
      'pth: the top level has the keys 1 and "1", which are one key in JavaScript',
    );
    const tupleKey = new Pickle().proto().emptyDict().emptyTuple().none().setItem();
    expect(() => one(tupleKey)).toThrow(
      /a dict key is a tuple; dl reads dicts keyed by strings and integers \(byte \d+ of the file\)/,
    );
  });

  it('refuses big-endian legacy files and other format versions', () => {
    const main = new Pickle().proto().none().stop();
    expect(() => nn.fromTorchBytes(legacyFile(main, [], { littleEndian: false }))).toThrow(
      'pth: the file was written on a big-endian machine; dl reads little-endian files',
    );
    expect(() => nn.fromTorchBytes(legacyFile(main, [], { version: 1000 }))).toThrow(
      "pth: the legacy format's version is 1000; dl reads version 1001",
    );
    expect(nn.fromTorchBytes(legacyFile(main))).toBe(null);
  });

  it('hostile sizes stay linear: many marks and copies, long integers, long strings', () => {
    const marks = new Pickle().proto();
    for (let i = 0; i < 100_000; i++) marks.mark();
    expect(() => nn.fromTorchBytes(legacyFile(marks.stop()))).toThrow(
      /the pickle stops with 100000 MARKs still open/,
    );
    const copies = new Pickle().proto().none();
    for (let i = 0; i < 100_000; i++) copies.raw(0x32); // DUP
    expect(() => nn.fromTorchBytes(legacyFile(copies.stop()))).toThrow(
      /the pickle stops with 100001 values on the stack/,
    );
    const longs = new Pickle().proto().emptyList();
    for (let i = 0; i < 500; i++)
      longs.raw(0x8b, 0, 4, 0, 0, ...new Uint8Array(1024).fill(0x7f)).append();
    const values = nn.fromTorchBytes(legacyFile(longs.stop())) as readonly bigint[];
    expect(values).toHaveLength(500);
    expect(values[0]).toBe(BigInt(`0x${'7f'.repeat(1024)}`));
    const long = new Pickle()
      .proto()
      .str('x'.repeat(1 << 20))
      .stop();
    expect((nn.fromTorchBytes(legacyFile(long)) as string).length).toBe(1 << 20);
  });

  it('names truncation and garbage with their offsets', () => {
    const cases: [Uint8Array, string | RegExp][] = [
      [new Uint8Array(), /not a torch\.save file: it is neither a zip archive nor a pickle/],
      [new Uint8Array([1, 2, 3]), /it starts with the bytes 01 02 03/],
      [
        new Pickle().proto().emptyDict().stop(),
        "pth: not a torch.save file: its first pickle holds a dict, not PyTorch's magic number",
      ],
      [
        new Pickle().proto().str('abc').stop().subarray(0, 8),
        'pth: a string needs 3 bytes but only 1 are left: the data is truncated (byte 2 of the file)',
      ],
      [new Pickle().proto(6).stop(), 'pth: pickle protocol 6 is newer than 5 (byte 0 of the file)'],
      [
        new Pickle().proto().raw(0xff).stop(),
        'pth: 0xff is not a pickle opcode (byte 2 of the file)',
      ],
      [
        new Pickle().proto().get(9).stop(),
        'pth: memo entry 9 was never stored (byte 2 of the file)',
      ],
      [new Pickle().proto().append().stop(), 'pth: the stack is empty (byte 2 of the file)'],
      [
        new Pickle().proto().raw(0x8b, 0, 0, 1, 0).stop(),
        /an integer of 65536 bytes is longer than dl reads/,
      ],
      [
        new Pickle().proto().raw(0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).stop(),
        /BINUNICODE8 has a length of 9223372036854775807 bytes/,
      ],
      [new Pickle().proto().none().none().stop(), /the pickle stops with 2 values on the stack/],
    ];
    for (const [bytes, message] of cases) expect(() => nn.fromTorchBytes(bytes)).toThrow(message);
  });
});

describe('zip archives', () => {
  const entriesOf = (bytes: Uint8Array) =>
    [...readZipDirectory(bytes).values()].map(
      (e) => [e.name, zipEntryBytes(bytes, e).slice()] as const,
    );

  it("the portable CRC-32 agrees with zlib's", () => {
    const data = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 1000, data.length])
      expect(crc32(data.subarray(0, n)), `${n} bytes`).toBe(zlibCrc32(data.subarray(0, n)));
  });

  it('an archive rebuilt entry by entry loads the same', () => {
    const rebuilt = zipOf(entriesOf(fixture('mlp.pth')));
    expect(nn.isTorchFile(rebuilt)).toBe(true);
    expectState(nn.asStateDict(nn.fromTorchBytes(rebuilt)), expected.mlp);
  });

  it('refuses big-endian files, TorchScript, missing records and damaged data', () => {
    const entries = entriesOf(fixture('mlp.pth'));
    const encode = (text: string) => new TextEncoder().encode(text);
    const withEntry = (name: string, data: Uint8Array) => zipOf([...entries, [name, data]]);
    const without = (name: string) => zipOf(entries.filter(([n]) => n !== name));
    const damaged = fixture('mlp.pth');
    const storage = readZipDirectory(damaged).get('mlp/data/0')!;
    damaged[storage.dataOffset + 3]! ^= 0x40;
    const cases: [Uint8Array, string | RegExp][] = [
      [
        withEntry('mlp/byteorder', encode('big')),
        'pth: the file was written on a big-endian machine (byteorder "big"); dl reads little-endian files',
      ],
      [
        without('mlp/data.pkl'),
        'pth: the zip archive has no mlp/data.pkl, so it is not a torch.save file',
      ],
      [
        zipOf([
          ['m/constants.pkl', new Uint8Array(1)],
          ['m/code/m.py', new Uint8Array(1)],
        ]),
        /TorchScript \(torch\.jit\.save\)/,
      ],
      [without('mlp/data/3'), 'pth: storage 3 has no record mlp/data/3 in the archive'],
      [damaged, 'pth: entry "mlp/data/0" fails its CRC-32 check: the file is damaged'],
      [fixture('mlp.pth').subarray(0, 3000), /pth: no end-of-central-directory record/],
      [zipOf([]), /not a torch\.save file: it is neither a zip archive nor a pickle/],
    ];
    for (const [bytes, message] of cases) expect(() => nn.fromTorchBytes(bytes)).toThrow(message);
  });

  it('refuses entries that overlap or run past the data', () => {
    const bytes = zipOf([['a/data.pkl', new Pickle().proto().none().stop()]]);
    const copy = concat([bytes]);
    // Point the central directory's entry size past the central directory itself.
    const central = copy.length - 22 - (46 + 10);
    new DataView(copy.buffer).setUint32(central + 20, 1000, true);
    new DataView(copy.buffer).setUint32(central + 24, 1000, true);
    expect(() => nn.fromTorchBytes(copy)).toThrow(
      /entry "a\/data\.pkl" \(1000 bytes from byte 40\) runs past the archive's data/,
    );
    const twice = zipOf([
      ['a/data.pkl', new Pickle().proto().none().stop()],
      ['a/data.pkl', new Uint8Array(2)],
    ]);
    expect(() => nn.fromTorchBytes(twice)).toThrow('pth: the archive holds "a/data.pkl" twice');
  });
});

describe('load() and files that are not torch.save files', () => {
  it('safetensors files still load', async () => {
    const state = await nn.load(join(fixtures, '..', 'mlp-batchnorm.safetensors'));
    expect(state.get('1.num_batches_tracked')!.itemSync()).toBe(7);
  });

  it('a missing file is named', async () => {
    await expect(nn.load(path('missing.pth'))).rejects.toThrow(
      `load: ${path('missing.pth')}: no such file`,
    );
    await expect(nn.loadTorch(path('missing.pth'))).rejects.toThrow(
      `loadTorch: ${path('missing.pth')}: no such file`,
    );
  });
});
