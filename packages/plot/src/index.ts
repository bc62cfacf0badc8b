/**
 * \@dl/plot: training curves, confusion matrices and image grids, shaped like matplotlib, as
 * SVG text, PNG bytes (both without a DOM, in any runtime) or drawings on a browser canvas.
 * Saving to a file (savePlot) is in `@dl/plot/node`.
 *
 * @module \@dl/plot
 */

export type { CanvasContext } from './canvas.js';
export { Chart, type RasterOptions, type RgbImage } from './chart.js';
export type { Colormap, Rgb } from './color.js';
export { type ConfusionMatrixChartOptions, confusionMatrixChart } from './confusion-matrix.js';
export { type FigureOptions, figure } from './figure.js';
export { type ImageBatch, type ImageGridOptions, type ImageLike, imageGrid } from './image-grid.js';
export type { LegendLocation } from './legend.js';
export { type LineChartOptions, lineChart, type Series } from './line-chart.js';
export type {
  CircleMark,
  ImageMark,
  Mark,
  MarkTags,
  PathMark,
  RectMark,
  TextMark,
} from './marks.js';
export type { ScaleType } from './scale.js';
