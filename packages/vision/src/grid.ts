// makeGrid: a batch of images [N, C, H, W] laid out as one image, like torchvision's
// make_grid (nrow images per row, `padding` pixels of padValue between and around them;
// one-channel images become three). Tensor ops only, so it runs on any device.

import { cat, pad, type Tensor } from '@dl/tensor';

/** Options of makeGrid, as torchvision.utils.make_grid's (padValue 0 by default). */
export interface MakeGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around the images (default 2). */
  padding?: number;
  /** Shift and scale to [0, 1] by the min and max (of `valueRange`, or of the whole batch). */
  normalize?: boolean;
  valueRange?: readonly [number, number];
  padValue?: number;
}

/**
 * A batch of images [N, C, H, W] (or [N, H, W]) laid out as one image [C, H', W'] (one
 * channel becomes three), like torchvision.utils.make_grid: `nrow` per row, `padding` pixels
 * of padValue between and around them.
 */
export function makeGrid(images: Tensor, options: MakeGridOptions = {}): Tensor {
  const { nrow = 8, padding = 2, padValue = 0 } = options;
  if (!Number.isInteger(nrow) || nrow < 1)
    throw new RangeError(`makeGrid: nrow should be a positive integer, got ${nrow}`);
  if (!Number.isInteger(padding) || padding < 0)
    throw new RangeError(`makeGrid: padding should be a non-negative integer, got ${padding}`);
  let x = images;
  if (x.ndim === 2) x = x.unsqueeze(0);
  if (x.ndim === 3) x = x.shape[0] === 1 ? x.unsqueeze(0) : x.unsqueeze(1);
  if (x.ndim !== 4)
    throw new Error(`makeGrid: expected images [N, C, H, W], got [${images.shape.join(', ')}]`);
  if (x.shape[1] === 1) x = cat([x, x, x], 1);
  if (options.normalize) {
    const low = options.valueRange ? options.valueRange[0] : x.amin();
    const high = options.valueRange ? options.valueRange[1] : x.amax();
    const range =
      typeof low === 'number' && typeof high === 'number'
        ? Math.max(high - low, 1e-5)
        : (high as Tensor).sub(low).clamp(1e-5);
    x = (typeof low === 'number' ? x.clamp(low, high as number) : x).sub(low).div(range);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (n === 1) return x.select(0, 0);
  const columns = Math.min(nrow, n);
  const rows = Math.ceil(n / columns);
  // Each cell is the image with `padding` above and to its left; the grid then gets its
  // right and bottom border. Missing cells of the last row are all padValue.
  let cells = pad(x, [padding, 0, padding, 0], 'constant', padValue);
  const missing = rows * columns - n;
  if (missing > 0) {
    const blank = pad(
      x.narrow(0, 0, 1).mul(0).add(padValue),
      [padding, 0, padding, 0],
      'constant',
      padValue,
    );
    cells = cat([cells, ...Array.from({ length: missing }, () => blank)], 0);
  }
  const cellH = h + padding;
  const cellW = w + padding;
  const grid = cells
    .reshape(rows, columns, c, cellH, cellW)
    .permute(2, 0, 3, 1, 4)
    .reshape(c, rows * cellH, columns * cellW);
  return pad(grid, [0, padding, 0, padding], 'constant', padValue);
}
