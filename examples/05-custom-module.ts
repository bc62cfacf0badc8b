// A custom nn.Module: submodules and parameters as fields, forward, printing the model,
// named parameters, buffers and the state dict: PyTorch's "Build the Neural Network"
// tutorial, plus a layer with its own Parameter and buffer.
//
//   pnpm example 05-custom-module [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { manualSeed, ones, rand, type Tensor, zeros } from '@dl/tensor';
import { assertClose } from '@dl/tensor/testing';
import { deviceFromArgs } from './device.ts';

const device = await deviceFromArgs();
manualSeed(0);

// Fields that hold modules or Parameters are registered in declaration order, as
// attributes assigned in __init__ are.
class NeuralNetwork extends nn.Module {
  flatten = new nn.Flatten();
  linearReluStack = new nn.Sequential(
    new nn.Linear(28 * 28, 512),
    new nn.ReLU(),
    new nn.Linear(512, 512),
    new nn.ReLU(),
    new nn.Linear(512, 10),
  );

  override forward(x: Tensor): Tensor {
    x = this.flatten.call(x);
    const logits = this.linearReluStack.call(x);
    return logits;
  }
}

const model = new NeuralNetwork().to(device);
console.log(String(model));
assert.equal(
  String(model),
  [
    'NeuralNetwork(',
    '  (flatten): Flatten(start_dim=1, end_dim=-1)',
    '  (linearReluStack): Sequential(',
    '    (0): Linear(in_features=784, out_features=512, bias=True)',
    '    (1): ReLU()',
    '    (2): Linear(in_features=512, out_features=512, bias=True)',
    '    (3): ReLU()',
    '    (4): Linear(in_features=512, out_features=10, bias=True)',
    '  )',
    ')',
  ].join('\n'),
);

// model(X) is model.call(X): it runs forward with any hooks (a class cannot be called).
const X = rand([1, 28, 28], { device });
const logits = model.call(X);
const predProbab = new nn.Softmax(1).call(logits);
const yPred = predProbab.argmax(1);
console.log(`Predicted class: ${await yPred.format()}`);
assert.deepEqual(logits.shape, [1, 10]);
await assertClose(predProbab.sum(1), [1]);

// Model parameters, by name.
for (const [name, param] of model.namedParameters()) {
  console.log(`Layer: ${name} | Size: [${param.size().join(', ')}]`);
}
assert.deepEqual(
  [...model.namedParameters()].map(([name]) => name),
  [0, 2, 4].flatMap((i) => [`linearReluStack.${i}.weight`, `linearReluStack.${i}.bias`]),
);
assert.equal(model.numParameters(), 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);

// A layer of your own: a Parameter is trained, a buffer is state that is saved but not
// trained (BatchNorm's running statistics are buffers).
class ScaleAndCount extends nn.Module {
  scale: nn.Parameter;
  constructor(features: number) {
    super();
    this.scale = new nn.Parameter(ones([features]));
    this.registerBuffer('calls', zeros([1])); // self.register_buffer("calls", torch.zeros(1))
  }
  override forward(x: Tensor): Tensor {
    const calls = this.getBuffer('calls')!;
    if (this.training) calls.add_(1); // buffers change in place, outside autograd
    return x.mul(this.scale);
  }
}

class Classifier extends nn.Module {
  body = new nn.Linear(4, 3);
  scale = new ScaleAndCount(3);
  override forward(x: Tensor): Tensor {
    return this.scale.call(this.body.call(x).relu());
  }
}

const classifier = new Classifier().to(device);
const input = rand([2, 4], { device });
classifier.call(input);
classifier.call(input);
classifier.eval(); // like model.eval(): every submodule's training flag goes off
classifier.call(input);
assert.equal(classifier.scale.training, false);
assert.deepEqual(await classifier.getBuffer('scale.calls')!.toArray(), [2]);
assert.deepEqual(
  [...classifier.stateDict().keys()],
  ['body.weight', 'body.bias', 'scale.scale', 'scale.calls'],
);
assert.equal(classifier.numParameters(), 4 * 3 + 3 + 3);

// Gradients reach the custom Parameter.
classifier.train();
classifier.call(input).sum().backward();
assert.deepEqual(classifier.scale.scale.grad!.shape, [3]);

// A forward hook sees each call's output, as register_forward_hook does.
const shapes: number[][] = [];
const handle = classifier.body.registerForwardHook((_module, _inputs, output) => {
  shapes.push([...(output as Tensor).shape]);
  return undefined;
});
classifier.call(input);
handle.remove();
classifier.call(input);
assert.deepEqual(shapes, [[2, 3]]);
console.log(String(classifier));
