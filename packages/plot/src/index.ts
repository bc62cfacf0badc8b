// @dl/plot: training curves, confusion matrices and image grids as SVG text, PNG bytes or
// drawings on a browser canvas, with no DOM needed for the first two. Node's file helper
// is in '@dl/plot/node'.

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
