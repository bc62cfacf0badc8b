// The look shared by every chart: colours and sizes of text, frames and grids.

import type { Rgb } from './color.js';

export const theme = {
  background: [255, 255, 255] as Rgb,
  text: [34, 34, 34] as Rgb,
  frame: [68, 68, 68] as Rgb,
  grid: [230, 230, 230] as Rgb,
  legendFrame: [204, 204, 204] as Rgb,
  /** Font sizes in pixels. */
  titleSize: 15,
  labelSize: 12,
  tickSize: 11,
  /** Length of a tick mark outside the frame. */
  tickLength: 4,
} as const;
