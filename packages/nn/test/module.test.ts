// The Module API: discovery of fields, names, modes, hooks, to(device), state dicts and their
// errors, containers and the printed form.

import { manualSeed, Tensor, type TensorData, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { devices } from './devices.js';

const f32 = (data: TensorData) => tensor(data, { dtype: 'float32' });

class Block extends nn.Module {
  fc = new nn.Linear(2, 3);
  bn = new nn.BatchNorm1d(3);
  override forward(x: Tensor): Tensor {
    return nn.F.relu(this.bn.call(this.fc.call(x)));
  }
}

class Net extends nn.Module {
  scale = new nn.Parameter(f32([2]));
  block = new Block();
  layers = new nn.ModuleList([new nn.Linear(3, 3), new nn.ReLU(), new nn.Linear(3, 1)]);
  notAModule = 5;
  plainTensor = f32([1, 2]);
  override forward(x: Tensor): Tensor {
    let y = this.block.call(x).mul(this.scale);
    for (const layer of this.layers) y = layer.call(y) as Tensor;
    return y;
  }
}

describe('discovery', () => {
  it('finds submodules and parameters held in fields, in declaration order, with dotted names', () => {
    const net = new Net();
    expect([...net.namedParameters()].map(([n]) => n)).toEqual([
      'scale',
      'block.fc.weight',
      'block.fc.bias',
      'block.bn.weight',
      'block.bn.bias',
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
      'layers.2.bias',
    ]);
    expect([...net.namedChildren()].map(([n]) => n)).toEqual(['block', 'layers']);
    expect([...net.namedModules()].map(([n]) => n)).toEqual([
      '',
      'block',
      'block.fc',
      'block.bn',
      'layers',
      'layers.0',
      'layers.1',
      'layers.2',
    ]);
    expect([...net.namedBuffers()].map(([n]) => n)).toEqual([
      'block.bn.running_mean',
      'block.bn.running_var',
      'block.bn.num_batches_tracked',
    ]);
    expect([...net.parameters({ recurse: false })]).toEqual([net.scale]);
    expect(net.numParameters()).toBe(1 + (6 + 3) + (3 + 3) + (9 + 3) + (3 + 1));
  });

  it('lists a shared parameter once, but keeps both names in the state dict', () => {
    class Tied extends nn.Module {
      a = new nn.Linear(2, 2, { bias: false });
      b = new nn.Linear(2, 2, { bias: false });
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
    }
    const tied = new Tied();
    expect([...tied.parameters()]).toHaveLength(1);
    expect([...tied.stateDict().keys()]).toEqual(['a.weight', 'b.weight']);
  });

  it('state-dict keys follow PyTorch: layers.0.weight, bn.num_batches_tracked', () => {
    const keys = [...new Net().stateDict().keys()];
    expect(keys).toContain('layers.0.weight');
    expect(keys).toContain('block.bn.num_batches_tracked');
    expect(keys).not.toContain('plainTensor');
  });
});

describe('registration', () => {
  it('keeps non-persistent buffers out of the state dict', () => {
    const m = new nn.Module();
    m.registerBuffer('kept', zeros([2]));
    m.registerBuffer('scratch', zeros([2]), { persistent: false });
    expect([...m.namedBuffers()].map(([n]) => n)).toEqual(['kept', 'scratch']);
    expect([...m.stateDict().keys()]).toEqual(['kept']);
  });
  it('registers parameters and modules under a given name', () => {
    const m = new nn.Module();
    m.registerParameter('in_proj_weight', new nn.Parameter(zeros([2, 2])));
    m.registerModule('out_proj', new nn.Linear(2, 2));
    expect([...m.stateDict().keys()]).toEqual([
      'in_proj_weight',
      'out_proj.weight',
      'out_proj.bias',
    ]);
  });
  it('refuses clashing or dotted names and a Parameter as a buffer', () => {
    const m = new nn.Module();
    m.registerBuffer('x', zeros([1]));
    expect(() => m.registerParameter('x', new nn.Parameter(zeros([1])))).toThrow(
      /attribute "x" already exists/,
    );
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(/can't be empty or contain "."/);
    expect(() => m.registerBuffer('p', new nn.Parameter(zeros([1])))).toThrow(
      /use registerParameter/,
    );
    expect(() => m.getBuffer('missing')).toThrow(/has no buffer "missing"/);
  });
  it('a module without forward says so', () => {
    expect(() => new nn.ModuleList().forward()).toThrow(
      /ModuleList\] is missing the required "forward" function/,
    );
  });
});

describe('modes, freezing, gradients, apply', () => {
  it('train()/eval() reach every submodule', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    net.eval();
    expect([...net.modules()].every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.block.bn.training).toBe(true);
  });
  it('requiresGrad_(false) freezes every parameter', () => {
    const net = new Net().requiresGrad_(false);
    expect([...net.parameters()].some((p) => p.requiresGrad)).toBe(false);
    expect(net.numParameters({ onlyTrainable: true })).toBe(0);
    net.block.requiresGrad_(true);
    expect(net.numParameters({ onlyTrainable: true })).toBe(9 + 6);
  });
  it('zeroGrad clears gradients (to null, or to zeros)', async () => {
    const net = new Net();
    net
      .call(
        f32([
          [1, 2],
          [3, 4],
        ]),
      )
      .sum()
      .backward();
    expect(net.scale.grad).not.toBeNull();
    net.zeroGrad(false);
    expect(Array.from(await net.block.fc.weight.grad!.data())).toEqual([0, 0, 0, 0, 0, 0]);
    net.zeroGrad();
    expect([...net.parameters()].every((p) => p.grad === null)).toBe(true);
  });
  it('apply visits children before their parent', () => {
    const seen: string[] = [];
    new Block().apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'BatchNorm1d', 'Block']);
  });
});

describe('forward hooks', () => {
  it('call() runs pre-hooks and hooks; forward() does not; remove() unregisters', async () => {
    const fc = new nn.Linear(2, 1);
    const seen: unknown[] = [];
    const pre = fc.registerForwardPreHook((_, inputs) => [(inputs[0] as Tensor).mul(0)]);
    const post = fc.registerForwardHook((_m, _inputs, output) => {
      seen.push(output);
      return (output as Tensor).add(1);
    });
    const x = f32([[1, 2]]);
    const bias = (await fc.bias!.data())[0]!;
    expect((await fc.call(x).data())[0]).toBeCloseTo(bias + 1, 6);
    expect(seen).toHaveLength(1);
    pre.remove();
    post.remove();
    const direct = await fc.call(x).data();
    expect(direct[0]).toBeCloseTo((await fc.forward(x).data())[0]!, 6);
    expect(seen).toHaveLength(1);
  });
});

describe('state dicts', () => {
  it('refuses a state dict holding a disposed tensor and leaves the model as it was', async () => {
    const a = new Net();
    const b = new Net();
    const before = new Map<string, number[]>();
    for (const [key, value] of b.stateDict()) before.set(key, Array.from(await value.data()));
    const sd = a.stateDict();
    const key = [...sd.keys()][0]!;
    sd.get(key)!.dispose();
    expect(() => b.loadStateDict(sd)).toThrow(`the tensor for ${key}`);
    expect(() => b.loadStateDict(sd)).toThrow('was disposed');
    for (const [k, value] of b.stateDict()) {
      expect(Array.from(await value.data()), k).toEqual(before.get(k));
    }
    const gone = f32([1, 2]);
    gone.dispose();
    expect(() => new nn.Parameter(gone)).toThrow(
      'Parameter: a tensor of shape [2] (float32) was disposed',
    );
  });

  it('round-trips between two models and copies values, not references', async () => {
    const a = new Net();
    const b = new Net();
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [key, value] of a.stateDict()) {
      expect(Array.from(await b.stateDict().get(key)!.data()), key).toEqual(
        Array.from(await value.data()),
      );
    }
    expect(b.block.fc.weight).not.toBe(a.block.fc.weight);
  });

  it('names missing, unexpected and mis-shaped keys together, and changes nothing', async () => {
    const net = new Net();
    const before = await net.block.fc.weight.data();
    const sd = new Net().stateDict();
    sd.delete('layers.2.bias');
    sd.set('extra.weight', zeros([1]));
    sd.set('block.fc.weight', zeros([4, 2]));
    const error = (() => {
      try {
        net.loadStateDict(sd);
      } catch (e) {
        return e as Error;
      }
      throw new Error('loadStateDict did not throw');
    })();
    expect(error.message).toBe(
      'Error(s) in loading state_dict for Net:\n' +
        '\tMissing key(s) in state_dict: "layers.2.bias".\n' +
        '\tUnexpected key(s) in state_dict: "extra.weight".\n' +
        '\tsize mismatch for block.fc.weight: copying a param with shape [4, 2] from checkpoint, the shape in current model is [3, 2].',
    );
    expect(Array.from(await net.block.fc.weight.data())).toEqual(Array.from(before));
    // Other keys were valid, but nothing was copied.
    expect(Array.from(await net.scale.data())).toEqual([2]);
  });

  it('strict: false reports missing and unexpected keys but still refuses mis-shaped ones', () => {
    const net = new Net();
    const sd = new Map([
      ['scale', f32([5])],
      ['bogus', f32([1])],
    ]);
    const result = net.loadStateDict(sd, { strict: false });
    expect(result.unexpectedKeys).toEqual(['bogus']);
    expect(result.missingKeys).toContain('layers.0.weight');
    expect(net.scale.itemSync()).toBe(5);
    expect(() => net.loadStateDict(new Map([['scale', f32([1, 2])]]), { strict: false })).toThrow(
      /size mismatch for scale/,
    );
  });

  it('loads num_batches_tracked and running statistics into BatchNorm', () => {
    const bn = new nn.BatchNorm1d(2);
    bn.loadStateDict({
      weight: f32([1, 2]),
      bias: f32([0, 1]),
      running_mean: f32([0.5, -0.5]),
      running_var: f32([2, 3]),
      num_batches_tracked: tensor(9, { dtype: 'int32' }),
    });
    expect(bn.numBatchesTracked!.itemSync()).toBe(9);
    expect(Array.from(bn.runningVar!.dataSync())).toEqual([2, 3]);
  });
});

describe.each(devices)('to(%s)', (_, device) => {
  it('moves parameters, buffers and gradients in place, keeping the Parameter objects', async () => {
    const net = new Net();
    net
      .call(
        f32([
          [1, 2],
          [3, 4],
        ]),
      )
      .sum()
      .backward();
    const params = [...net.parameters()]; // as an optimizer holds them
    const values = await Promise.all(params.map((p) => p.data()));
    const grad = await net.scale.grad!.data();
    expect(net.to(device)).toBe(net);
    expect([...net.parameters()]).toEqual(params);
    for (const [i, p] of params.entries()) {
      expect(p.device).toBe(device);
      expect(p).toBeInstanceOf(nn.Parameter);
      expect(p.requiresGrad).toBe(true);
      expect(Array.from(await p.data())).toEqual(Array.from(values[i]!));
    }
    expect(Array.from(await net.scale.grad!.data())).toEqual(Array.from(grad));
    expect(net.scale.grad!.device).toBe(device);
    for (const b of net.buffers()) expect(b.device).toBe(device);
    // The moved model runs on the device, and back on the CPU after toAsync.
    const y = net.eval().call(tensor([[1, 2]], { dtype: 'float32', device }));
    expect(y.device).toBe(device);
    if (device.type !== 'cpu') {
      // A synchronous move off the GPU is refused before anything moves.
      expect(() => net.to('cpu')).toThrow(/asynchronous/);
      expect(params.every((p) => p.device === device && p.grad?.device === device)).toBe(true);
    }
    await net.toAsync('cpu');
    expect(params.every((p) => p.device.type === 'cpu')).toBe(true);
  });
});

describe('dtype conversion', () => {
  it('double() converts floating parameters and buffers, not integer ones', () => {
    const bn = new nn.BatchNorm1d(2).double();
    expect(bn.weight!.dtype).toBe('float64');
    expect(bn.runningMean!.dtype).toBe('float64');
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
  });
});

describe('containers', () => {
  it('Sequential runs modules in order and accepts named entries', async () => {
    const seq = new nn.Sequential(new nn.Flatten(), new nn.ReLU());
    expect(Array.from(await seq.call(f32([[[-1, 2]]])).data())).toEqual([0, 2]);
    expect(seq.length).toBe(2);
    expect(seq.at(-1)).toBeInstanceOf(nn.ReLU);
    const named = new nn.Sequential({ fc: new nn.Linear(2, 2), act: new nn.Tanh() });
    expect([...named.stateDict().keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(() => seq.at(5)).toThrow(/index 5 is out of range for Sequential of length 2/);
  });
  it('ModuleDict keeps insertion order and refuses duplicates', () => {
    const dict = new nn.ModuleDict({ b: new nn.ReLU(), a: new nn.Linear(1, 1) });
    expect([...dict.keys()]).toEqual(['b', 'a']);
    expect([...dict.stateDict().keys()]).toEqual(['a.weight', 'a.bias']);
    expect(() => dict.set('a', new nn.ReLU())).toThrow(/"a" already exists/);
  });
  it('prints nested containers as PyTorch 1.13 does', () => {
    expect(new Net().toString()).toBe(
      [
        'Net(',
        '  (block): Block(',
        '    (fc): Linear(in_features=2, out_features=3, bias=True)',
        '    (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
        '  )',
        '  (layers): ModuleList(',
        '    (0): Linear(in_features=3, out_features=3, bias=True)',
        '    (1): ReLU()',
        '    (2): Linear(in_features=3, out_features=1, bias=True)',
        '  )',
        ')',
      ].join('\n'),
    );
  });
});

describe('Parameter', () => {
  it('requires grad by default, prints like PyTorch, and can be created frozen', () => {
    const p = new nn.Parameter(f32([1, 2]));
    expect(p.requiresGrad).toBe(true);
    expect(p.toString()).toBe('Parameter containing:\ntensor([1., 2.], requiresGrad=true)');
    expect(new nn.Parameter(f32([1]), false).requiresGrad).toBe(false);
    expect(p).toBeInstanceOf(Tensor);
  });
});

describe('default initialisation', () => {
  it('Linear and Conv2d draw weights and biases from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), seeded', () => {
    manualSeed(3);
    const fc = new nn.Linear(64, 500);
    const w = fc.weight.dataSync();
    const bound = 1 / 8;
    let sumSquares = 0;
    for (const v of w) {
      expect(Math.abs(v)).toBeLessThanOrEqual(bound);
      sumSquares += v * v;
    }
    // The variance of U(-b, b) is b² / 3.
    expect(sumSquares / w.length).toBeCloseTo(bound ** 2 / 3, 3);
    for (const v of fc.bias!.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    manualSeed(3);
    expect(Array.from(new nn.Linear(64, 500).weight.dataSync())).toEqual(Array.from(w));
    const conv = new nn.Conv2d(4, 8, 3);
    for (const v of conv.weight.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(1 / 6);
  });
});

describe('dropout layers', () => {
  it('Dropout zeroes about p of the elements in training, scales the rest, and is the identity in eval', () => {
    manualSeed(0);
    const drop = new nn.Dropout(0.25);
    const out = drop.call(zeros([4000]).add(1)).dataSync();
    const zerosCount = out.filter((v) => v === 0).length;
    expect(zerosCount / 4000).toBeGreaterThan(0.22);
    expect(zerosCount / 4000).toBeLessThan(0.28);
    expect(out.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    drop.eval();
    expect(Array.from(drop.call(f32([1, 2])).dataSync())).toEqual([1, 2]);
  });
  it('Dropout2d zeroes whole channels', () => {
    manualSeed(1);
    const out = new nn.Dropout2d(0.5).call(zeros([4, 8, 3, 3]).add(1)).dataSync();
    for (let c = 0; c < 32; c++) {
      const channel = out.slice(c * 9, c * 9 + 9);
      expect(channel.every((v) => v === channel[0])).toBe(true);
    }
  });
  it.each(devices)(
    'draws the same mask on %s as on the CPU for the same seed',
    async (_, device) => {
      manualSeed(5);
      const onCpu = new nn.Dropout(0.5).call(zeros([64]).add(1)).dataSync();
      manualSeed(5);
      const onDevice = await new nn.Dropout(0.5).call(zeros([64], { device }).add(1)).data();
      expect(Array.from(onDevice)).toEqual(Array.from(onCpu));
    },
  );
  it('refuses a probability outside [0, 1]', () => {
    expect(() => new nn.Dropout(1.5)).toThrow(/between 0 and 1, but got 1.5/);
  });
});

describe('hyperparameters are checked when a layer is built', () => {
  it.each([
    [() => new nn.Linear(0, 2), /inFeatures must be a positive integer, got 0/],
    [() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /in_channels must be divisible by groups/],
    [
      () => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2 }),
      /padding='same' is not supported for strided/,
    ],
    [
      () => new nn.MaxPool2d(2, { padding: 2 }),
      /pad should be at most half of effective kernel size/,
    ],
    [() => new nn.AvgPool2d(0), /kernelSize must be a positive integer/],
    [() => new nn.AdaptiveAvgPool2d([0, 2]), /outputSize must be positive integers/],
    [() => new nn.BatchNorm1d(3, { momentum: 2 }), /momentum must be in \[0, 1\] or null, got 2/],
    [() => new nn.GroupNorm(3, 4), /num_channels \(4\) must be divisible by num_groups \(3\)/],
    [() => new nn.MultiheadAttention(6, 4), /embed_dim \(6\) must be divisible by num_heads \(4\)/],
    [
      () => new nn.Embedding(4, 2, { paddingIdx: 4 }),
      /paddingIdx must be within num_embeddings \(4\)/,
    ],
    [() => new nn.Hardtanh(1, -1), /min_val \(1\) must be less than max_val \(-1\)/],
    [() => new nn.Upsample({}), /exactly one of size and scaleFactor/],
  ] as const)('%#', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('loss modules', () => {
  it('hold class weights as buffers (in the state dict, moved by to()) and check the reduction', () => {
    const weight = f32([1, 2, 3]);
    const loss = new nn.CrossEntropyLoss({ weight });
    expect([...loss.stateDict().keys()]).toEqual(['weight']);
    expect(String(loss)).toBe('CrossEntropyLoss()');
    const bce = new nn.BCEWithLogitsLoss({ posWeight: f32([2]) });
    expect([...bce.stateDict().keys()]).toEqual(['pos_weight']);
    expect(() => new nn.MSELoss({ reduction: 'avg' as 'mean' })).toThrow(
      /MSELoss: avg is not a valid value for reduction/,
    );
    expect(() => new nn.KLDivLoss({ reduction: 'batch' as 'batchmean' })).toThrow(
      /use none, mean, sum, batchmean/,
    );
  });
});

describe('lookup by dotted path', () => {
  it("getSubmodule, getParameter and getBuffer follow PyTorch's names", () => {
    const net = new Net();
    expect(net.getSubmodule('block.fc')).toBe(net.block.fc);
    expect(net.getSubmodule('layers.2')).toBe(net.layers.at(2));
    expect(net.getParameter('block.fc.weight')).toBe(net.block.fc.weight);
    expect(net.getParameter('scale')).toBe(net.scale);
    expect(net.getBuffer('block.bn.running_var')).toBe(net.block.bn.runningVar);
    expect(() => net.getSubmodule('block.conv')).toThrow(
      /Block has no submodule "conv" \(looking up "block.conv"\)/,
    );
    expect(() => net.getParameter('block.fc.gain')).toThrow(/Linear has no parameter "gain"/);
    expect(
      new nn.MultiheadAttention(4, 2, { bias: false }).getParameter('in_proj_bias'),
    ).toBeNull();
  });
});
