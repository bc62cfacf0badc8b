// The look shared by every chart: colours and sizes of text, frames and grids.

import type { Rgb } from './color.js';

const background: Rgb = [255, 255, 255];
const text: Rgb = [34, 34, 34];
const frame: Rgb = [68, 68, 68];
const grid: Rgb = [230, 230, 230];
const legendFrame: Rgb = [204, 204, 204];

export const theme = {
  background,
  text,
  frame,
  grid,
  legendFrame,
  /** Font sizes in pixels. */
  titleSize: 15,
  labelSize: 12,
  tickSize: 11,
  /** Length of a tick mark outside the frame. */
  tickLength: 4,
} as const;
