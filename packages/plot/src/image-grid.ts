// imageGrid: a batch of images in rows and columns with a caption over each, as a course
// shows a dataset's samples or a model's predictions (plt.subplot + plt.imshow + plt.title).

import { Chart } from './chart.js';
import { parseColor } from './color.js';
import type { Mark } from './marks.js';
import { checkOptionNames, checkSize } from './options.js';
import { theme } from './theme.js';

/**
 * A batch of images [N, C, H, W] (or [N, H, W]) in row-major order with values in [0, 1]
 * (clamped), C being 1 (grey) or 3 (RGB): `{ shape: t.shape, data: await t.data() }` from a
 * tensor on any device. A CPU tensor may be passed as it is (it is read with `dataSync()`).
 */
export type ImageBatch =
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number> }
  | {
      readonly shape: readonly number[];
      /** The values, row-major, read at once (a CPU tensor's `dataSync`). */
      dataSync(): ArrayLike<number>;
    };

/**
 * One image as rows of interleaved channels (height x width x channels, 1 or 3 channels; a
 * fourth, alpha, is ignored), like `@dl/vision`'s RawImage: 0 to 255 in a Uint8Array,
 * otherwise values in [0, 1].
 */
export interface ImageLike {
  readonly data: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** What imageGrid draws, and how. */
export interface ImageGridOptions {
  /** A caption over each image (as many as the images, or fewer). */
  captions?: readonly string[];
  /** Each caption's colour, '#rrggbb' (say, red for a wrong prediction; default dark grey). */
  captionColors?: readonly (string | undefined)[];
  /** Images per row (default: all of them up to 8, as torchvision's make_grid). */
  columns?: number;
  title?: string;
  /** The longer side of each image on the chart, in pixels (default: the image's, doubled until 56 or more). */
  imageSize?: number;
  /** Stretch the values from the batch's smallest and largest to [0, 1] first (as make_grid's normalize). */
  normalize?: boolean;
}

const optionNames = ['captions', 'captionColors', 'columns', 'title', 'imageSize', 'normalize'];

interface Picture {
  width: number;
  height: number;
  /** Channel values in [0, 1] (or any range before normalisation), RGB interleaved. */
  rgb: Float64Array;
}

/** Whether the images are a list (of RawImage-like images), not a batch. */
function isImageList(images: ImageBatch | readonly ImageLike[]): images is readonly ImageLike[] {
  return Array.isArray(images);
}

/** The pictures of a batch [N, C, H, W] or [N, H, W]. */
function fromBatch(batch: ImageBatch): Picture[] {
  if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.shape))
    throw new Error(
      'imageGrid: expected a batch { shape: [N, C, H, W], data } or a non-empty list of images',
    );
  const shape = [...batch.shape];
  if (shape.length === 3) shape.splice(1, 0, 1);
  const [n = 0, c = 0, h = 0, w = 0] = shape;
  if (
    shape.length !== 4 ||
    ![1, 3].includes(c) ||
    ![n, h, w].every((v) => Number.isInteger(v) && v > 0)
  )
    throw new Error(
      `imageGrid: expected images [N, C, H, W] or [N, H, W] with C 1 or 3, got [${batch.shape.join(', ')}]`,
    );
  let data: ArrayLike<number>;
  if ('data' in batch) data = batch.data;
  else {
    try {
      data = batch.dataSync();
    } catch (error) {
      throw new Error(
        `imageGrid: the images cannot be read synchronously (${error instanceof Error ? error.message : String(error)}); pass { shape: images.shape, data: await images.data() }`,
      );
    }
  }
  if (data.length !== n * c * h * w)
    throw new Error(
      `imageGrid: ${data.length} values do not make images [${batch.shape.join(', ')}]`,
    );
  const plane = h * w;
  return Array.from({ length: n }, (_, k) => {
    const rgb = new Float64Array(plane * 3);
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < 3; ch++)
        rgb[p * 3 + ch] = data[(k * c + (c === 1 ? 0 : ch)) * plane + p]!;
    }
    return { width: w, height: h, rgb };
  });
}

/** The picture of one image (height x width x channels). */
function fromImage(image: ImageLike, k: number): Picture {
  const { data, height: h, width: w, channels: c } = image;
  if (
    ![h, w].every((v) => Number.isInteger(v) && v > 0) ||
    ![1, 2, 3, 4].includes(c) ||
    data?.length !== h * w * c
  )
    throw new Error(
      `imageGrid: image ${k} should be { data, height, width, channels } with height x width x channels values, got ${data?.length} values for ${h}x${w}x${c}`,
    );
  const divisor = data instanceof Uint8Array ? 255 : 1;
  const colour = c >= 3;
  const rgb = new Float64Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = data[p * c + (colour ? ch : 0)]! / divisor;
  }
  return { width: w, height: h, rgb };
}

/**
 * Images in a grid, `columns` to a row, each with its caption above it and the title over
 * all: from a batch [N, C, H, W] of values in [0, 1] (a tensor's shape and data) or a list
 * of 8-bit images (`@dl/vision`'s RawImage: the datasets' samples before a transform).
 *
 * ```ts
 * imageGrid({ shape: x.shape, data: await x.data() }, { captions: predicted.map(String) });
 * ```
 */
export function imageGrid(
  images: ImageBatch | readonly ImageLike[],
  options: ImageGridOptions = {},
): Chart {
  checkOptionNames('imageGrid', options, optionNames);
  const pictures = isImageList(images) ? images.map(fromImage) : fromBatch(images);
  if (pictures.length === 0)
    throw new Error(
      'imageGrid: expected a batch { shape: [N, C, H, W], data } or a non-empty list of images',
    );
  const captions = options.captions ?? [];
  if (captions.length > pictures.length)
    throw new Error(`imageGrid: ${captions.length} captions for ${pictures.length} images`);
  const captionColors = (options.captionColors ?? []).map((c, k) =>
    c === undefined ? theme.text : parseColor(c, `imageGrid: captionColors[${k}]`),
  );
  const columns = checkSize('imageGrid', 'columns', options.columns, Math.min(8, pictures.length));
  const longest = Math.max(...pictures.map((p) => Math.max(p.width, p.height)));
  let zoom = 1;
  while (longest * zoom < 56) zoom *= 2;
  const imageSize = checkSize('imageGrid', 'imageSize', options.imageSize, longest * zoom);

  // The values' range: [0, 1], or the batch's own with `normalize`.
  let [low, high] = [0, 1];
  if (options.normalize) {
    [low, high] = [Infinity, -Infinity];
    for (const p of pictures)
      for (const v of p.rgb)
        if (Number.isFinite(v)) [low, high] = [Math.min(low, v), Math.max(high, v)];
    if (!(high > low)) high = low + 1;
  }
  const byte = (v: number) =>
    Math.round(Math.min(1, Math.max(0, (v - low) / (high - low))) * 255) || 0;

  const gap = 8;
  const captionHeight = captions.length > 0 ? theme.tickSize + 6 : 0;
  const cellWidth = imageSize + gap;
  const cellHeight = captionHeight + imageSize + gap;
  const rows = Math.ceil(pictures.length / columns);
  const top = options.title ? 10 + theme.titleSize + 10 : gap;
  const width = gap + columns * cellWidth;
  const height = top + rows * cellHeight;
  const marks: Mark[] = [
    { kind: 'rect', x: 0, y: 0, width, height, fill: theme.background, role: 'background' },
  ];
  if (options.title)
    marks.push({
      kind: 'text',
      x: width / 2,
      y: 10 + theme.titleSize / 2,
      text: options.title,
      size: theme.titleSize,
      color: theme.text,
      anchor: 'middle',
      bold: true,
      role: 'title',
    });
  pictures.forEach((picture, k) => {
    const [row, column] = [Math.floor(k / columns), k % columns];
    const x = gap + column * cellWidth;
    const y = top + row * cellHeight + captionHeight;
    // Scaled to imageSize along its longer side, centred in its square.
    const scale = imageSize / Math.max(picture.width, picture.height);
    const [w, h] = [picture.width * scale, picture.height * scale];
    const data = Uint8Array.from(picture.rgb, byte);
    marks.push({
      kind: 'image',
      x: x + (imageSize - w) / 2,
      y: y + (imageSize - h) / 2,
      width: w,
      height: h,
      pixels: { data, width: picture.width, height: picture.height },
      role: 'image',
      label: String(k),
    });
    const caption = captions[k];
    if (caption !== undefined)
      marks.push({
        kind: 'text',
        x: x + imageSize / 2,
        y: y - 3 - theme.tickSize / 2,
        text: caption,
        size: theme.tickSize,
        color: captionColors[k] ?? theme.text,
        anchor: 'middle',
        role: 'caption',
        label: String(k),
      });
  });
  return new Chart(width, height, marks, options.title ?? 'images');
}
