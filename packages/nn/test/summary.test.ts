// summary(): output shapes and parameter counts per layer, worked out by hand, the printed
// table, and that summarizing changes nothing in the module.

import { manualSeed, type Tensor } from '@dl/tensor';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';

class Block extends nn.Module {
  conv = new nn.Conv2d(4, 4, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(4);
  override forward(x: Tensor): Tensor {
    return nn.F.relu(this.bn.call(this.conv.call(x)).add(x));
  }
}

class Net extends nn.Module {
  stem = new nn.Conv2d(1, 4, 3); // 1*4*9 + 4 = 40
  block = new Block(); // 4*4*9 = 144, BatchNorm 4 + 4 = 8
  head = new nn.Sequential(new nn.Flatten(), new nn.Linear(4 * 26 * 26, 10)); // 27,040 + 10
  override forward(x: Tensor): Tensor {
    return this.head.call(this.block.call(this.stem.call(x)));
  }
}

describe('summary', () => {
  it('lists each call with its output shape and parameters, in call order', () => {
    manualSeed(0);
    const net = new Net();
    net.stem.bias?.requiresGrad_(false);
    const s = nn.summary(net, [2, 1, 28, 28]);
    expect(
      s.rows.map((r) => [r.name, r.type, r.depth, r.outputShape, r.counted ? '--' : r.numParams]),
    ).toEqual([
      ['', 'Net', 0, [2, 10], '--'],
      ['stem', 'Conv2d', 1, [2, 4, 26, 26], 40],
      ['block', 'Block', 1, [2, 4, 26, 26], '--'],
      ['block.conv', 'Conv2d', 2, [2, 4, 26, 26], 144],
      ['block.bn', 'BatchNorm2d', 2, [2, 4, 26, 26], 8],
      ['head', 'Sequential', 1, [2, 10], '--'],
      ['head.0', 'Flatten', 2, [2, 2704], 0],
      ['head.1', 'Linear', 2, [2, 10], 27050],
    ]);
    expect(s.totalParams).toBe(40 + 144 + 8 + 27050);
    expect(s.trainableParams).toBe(40 + 144 + 8 + 27050 - 4);
    expect(s.inputBytes).toBe(2 * 28 * 28 * 4);
    expect(s.paramBytes).toBe(s.totalParams * 4);
  });

  it('prints the torchinfo table', () => {
    manualSeed(0);
    const text = String(nn.summary(new Net(), [1, 1, 28, 28], { depth: 1 }));
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^Layer \(type:depth-idx\)\s+Output Shape\s+Param #$/);
    expect(lines[3]).toMatch(/^Net\s+\[1, 10\]\s+--$/);
    expect(lines[4]).toMatch(/^└─Conv2d: 1-1\s+\[1, 4, 26, 26\]\s+40$/);
    // At the depth limit a module's row counts everything below it.
    expect(lines[5]).toMatch(/^└─Block: 1-2\s+\[1, 4, 26, 26\]\s+152$/);
    expect(lines[6]).toMatch(/^└─Sequential: 1-3\s+\[1, 10\]\s+27,050$/);
    expect(text).toContain(
      'Total params: 27,242\nTrainable params: 27,242\nNon-trainable params: 0',
    );
    expect(text).toContain('Params size (MB): 0.11');
  });

  it('changes nothing: training mode, BatchNorm statistics, hooks', () => {
    const net = new Net();
    net.train();
    const before = net.block.bn.runningMean?.dataSync().slice();
    nn.summary(net, [1, 1, 28, 28]);
    expect(net.training).toBe(true);
    expect(net.block.bn.training).toBe(true);
    expect(net.block.bn.runningMean?.dataSync()).toEqual(before);
    expect(Number(net.block.bn.numBatchesTracked?.itemSync())).toBe(0);
    // The hooks are gone: a second summary sees each call once.
    expect(nn.summary(net, [1, 1, 28, 28]).rows).toHaveLength(8);
  });

  it('refuses a bad depth or shape', () => {
    expect(() => nn.summary(new Net(), [1, 1, 28, 28], { depth: -1 })).toThrow(
      'summary: depth must be a non-negative integer, got -1',
    );
    expect(() => nn.summary(new Net(), [1, 1.5, 28])).toThrow(
      'summary: inputShape must be non-negative integers, got [1, 1.5, 28]',
    );
  });
});
