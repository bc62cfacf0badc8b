// Residual networks (He et al. 2016) laid out as torchvision's ResNet and BasicBlock, with the
// same layer names, so torchvision's state dicts load; plus a small stem for 28x28 and 32x32
// images and the CIFAR ResNet-20 (resnetMnist, resnetCifar).

import * as nn from '@dl/nn';
import type { Tensor } from '@dl/tensor';

function checkPositiveInt(value: unknown, name: string, where: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new RangeError(`${where}: ${name} must be a positive integer, got ${String(value)}`);
}

function conv3x3(inPlanes: number, outPlanes: number, stride = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
}

function conv1x1(inPlanes: number, outPlanes: number, stride = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** A module from one tensor to one tensor, such as a Sequential of a conv and a BatchNorm. */
export type TensorModule = nn.Module & {
  /** Maps a tensor to a tensor. */
  forward(x: Tensor): Tensor;
};

/** Options of BasicBlock. */
export interface BasicBlockOptions {
  /** Stride of the first convolution (default 1); 2 halves the height and width. */
  stride?: number;
  /** Maps the input to the output's shape for the residual sum (torchvision's `downsample`). */
  downsample?: TensorModule | null;
}

/** Two 3x3 convolutions with BatchNorm, added to the (downsampled) input: relu(F(x) + x). */
export class BasicBlock extends nn.Module {
  /** Output channels per `planes` (torchvision's `expansion`). */
  static readonly expansion = 1;
  readonly stride: number;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU();
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  downsample: TensorModule | null;

  constructor(inplanes: number, planes: number, options: BasicBlockOptions = {}) {
    super();
    const { stride = 1, downsample = null } = options;
    checkPositiveInt(inplanes, 'inplanes', 'BasicBlock');
    checkPositiveInt(planes, 'planes', 'BasicBlock');
    checkPositiveInt(stride, 'stride', 'BasicBlock');
    if (downsample === null && (stride !== 1 || inplanes !== planes))
      throw new Error(
        `BasicBlock: mapping ${inplanes} channels to ${planes} with stride ${stride} changes the shape, so the residual sum needs a downsample module (a 1x1 Conv2d and a BatchNorm2d)`,
      );
    this.stride = stride;
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = downsample;
  }

  override forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)));
    out = this.bn2.call(this.conv2.call(out));
    const identity = this.downsample ? this.downsample.call(x) : x;
    return this.relu.call(out.add(identity));
  }
}

/** A block class ResNet can stack: torchvision's block interface. */
export interface ResidualBlock {
  readonly expansion: number;
  new (inplanes: number, planes: number, options: BasicBlockOptions): TensorModule;
}

/** Options of ResNet. */
export interface ResNetOptions {
  /** Number of classes, the length of each output row (default 1000, as torchvision). */
  numClasses?: number;
  /** Channels of the input images (default 3). */
  inChannels?: number;
  /** Channels of each stage (default [64, 128, 256, 512] for up to four stages). */
  widths?: readonly number[];
  /**
   * 'imagenet' (default): 7x7 convolution with stride 2 and 3x3 max pooling, as torchvision.
   * 'small': one 3x3 convolution with stride 1 and no pooling, for 28x28 and 32x32 images.
   */
  stem?: 'imagenet' | 'small';
  /** Start each residual branch's last BatchNorm at zero, so blocks begin as identities. */
  zeroInitResidual?: boolean;
}

const defaultWidths = [64, 128, 256, 512];

/**
 * Stem, stages of residual blocks (the first keeps the resolution, each later one halves it),
 * global average pooling and a linear layer; returns logits. `layers` gives the blocks per
 * stage: `new ResNet(BasicBlock, [2, 2, 2, 2])` is torchvision's resnet18.
 */
export class ResNet extends nn.Module {
  readonly inChannels: number;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu = new nn.ReLU();
  readonly maxpool: nn.MaxPool2d | null;
  /** The stages, registered as layer1, layer2, ... */
  readonly stages: readonly nn.Sequential[];
  readonly avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  readonly fc: nn.Linear;

  constructor(block: ResidualBlock, layers: readonly number[], options: ResNetOptions = {}) {
    super();
    const { numClasses = 1000, inChannels = 3, stem = 'imagenet' } = options;
    checkPositiveInt(numClasses, 'numClasses', 'ResNet');
    checkPositiveInt(inChannels, 'inChannels', 'ResNet');
    if (layers.length === 0) throw new RangeError('ResNet: layers must list at least one stage');
    for (const [i, n] of layers.entries()) checkPositiveInt(n, `layers[${i}]`, 'ResNet');
    if (options.widths === undefined && layers.length > defaultWidths.length)
      throw new RangeError(
        `ResNet: ${layers.length} stages need widths (the defaults cover ${defaultWidths.length})`,
      );
    const widths = options.widths ?? defaultWidths.slice(0, layers.length);
    if (widths.length !== layers.length)
      throw new RangeError(
        `ResNet: widths [${widths.join(', ')}] must give one width per stage of layers [${layers.join(', ')}]`,
      );
    for (const [i, w] of widths.entries()) checkPositiveInt(w, `widths[${i}]`, 'ResNet');
    if (stem !== 'imagenet' && stem !== 'small')
      throw new RangeError(`ResNet: stem must be 'imagenet' or 'small', got ${String(stem)}`);
    this.inChannels = inChannels;

    let inplanes = widths[0]!;
    this.conv1 =
      stem === 'imagenet'
        ? new nn.Conv2d(inChannels, inplanes, 7, { stride: 2, padding: 3, bias: false })
        : conv3x3(inChannels, inplanes);
    this.bn1 = new nn.BatchNorm2d(inplanes);
    this.maxpool = stem === 'imagenet' ? new nn.MaxPool2d(3, { stride: 2, padding: 1 }) : null;
    const stages: nn.Sequential[] = [];
    for (const [i, blocks] of layers.entries()) {
      const planes = widths[i]!;
      const stride = i === 0 ? 1 : 2;
      const outplanes = planes * block.expansion;
      const downsample =
        stride !== 1 || inplanes !== outplanes
          ? new nn.Sequential(conv1x1(inplanes, outplanes, stride), new nn.BatchNorm2d(outplanes))
          : null;
      const stage = new nn.Sequential(new block(inplanes, planes, { stride, downsample }));
      inplanes = outplanes;
      for (let b = 1; b < blocks; b++) stage.append(new block(inplanes, planes, {}));
      stages.push(stage);
    }
    this.stages = stages;
    this.fc = new nn.Linear(inplanes, numClasses);

    // Registered in torchvision's order, which fixes the state-dict keys and the printed form.
    this.registerModule('conv1', this.conv1);
    this.registerModule('bn1', this.bn1);
    this.registerModule('relu', this.relu);
    if (this.maxpool) this.registerModule('maxpool', this.maxpool);
    for (const [i, stage] of stages.entries()) this.registerModule(`layer${i + 1}`, stage);
    this.registerModule('avgpool', this.avgpool);
    this.registerModule('fc', this.fc);

    // torchvision's initialisation: He normal (fan out) for convolutions, BatchNorm at 1 and 0.
    for (const module of this.modules()) {
      if (module instanceof nn.Conv2d)
        nn.init.kaimingNormal_(module.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (module instanceof nn.BatchNorm2d) {
        if (module.weight) nn.init.ones_(module.weight);
        if (module.bias) nn.init.zeros_(module.bias);
      }
    }
    if (options.zeroInitResidual) {
      for (const module of this.modules())
        if (module instanceof BasicBlock && module.bn2.weight) nn.init.zeros_(module.bn2.weight);
    }
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels)
      throw new Error(
        `ResNet: expected input of shape [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`,
      );
    x = this.relu.call(this.bn1.call(this.conv1.call(x)));
    if (this.maxpool) x = this.maxpool.call(x);
    for (const stage of this.stages) x = stage.call(x);
    return this.fc.call(this.avgpool.call(x).flatten(1));
  }
}

/** Options of the small-image ResNets (resnet20, resnetMnist, resnetCifar). */
export interface SmallResNetOptions {
  /** Number of classes (default 10). */
  numClasses?: number;
  zeroInitResidual?: boolean;
}

/**
 * The CIFAR ResNet-20 of He et al. 2016: a 3x3 stem and three stages of three basic blocks
 * with 16, 32 and 64 channels (0.27M parameters), 1x1 convolution shortcuts where the shape
 * changes. Any input of at least 4x4 works; 32x32 ends at 8x8 before pooling, 28x28 at 7x7.
 */
export function resnet20(options: SmallResNetOptions & { inChannels?: number } = {}): ResNet {
  return new ResNet(BasicBlock, [3, 3, 3], {
    numClasses: options.numClasses ?? 10,
    inChannels: options.inChannels ?? 3,
    widths: [16, 32, 64],
    stem: 'small',
    zeroInitResidual: options.zeroInitResidual ?? false,
  });
}

/** ResNet-20 for one-channel 28x28 images (MNIST, Fashion-MNIST, KMNIST). */
export function resnetMnist(options: SmallResNetOptions = {}): ResNet {
  return resnet20({ ...options, inChannels: 1 });
}

/** ResNet-20 for three-channel 32x32 images (CIFAR-10). */
export function resnetCifar(options: SmallResNetOptions = {}): ResNet {
  return resnet20({ ...options, inChannels: 3 });
}

/** torchvision's resnet18 layout (11.7M parameters); its state dicts load as they are. */
export function resnet18(options: Omit<ResNetOptions, 'widths' | 'stem'> = {}): ResNet {
  return new ResNet(BasicBlock, [2, 2, 2, 2], options);
}
