// The live training chart: the loss and the batch accuracy (%) per step side by side, drawn
// with @dl/plot on a canvas sized for the screen's pixel density, redrawn at most once per
// animation frame.

import { type Chart, figure, lineChart } from '@dl/plot';

const height = 260;
const lossColor = '#d9480f';
const accuracyColor = '#1971c2';

export class TrainingChart {
  readonly #container: HTMLElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #steps: number[] = [];
  readonly #losses: number[] = [];
  readonly #accuracies: number[] = [];
  #pending = false;

  constructor(container: HTMLElement) {
    this.#container = container;
    this.#canvas = document.createElement('canvas');
    this.#canvas.setAttribute('aria-label', 'loss and batch accuracy per step');
    container.append(this.#canvas);
    this.#draw();
  }

  push(step: number, loss: number, accuracy: number): void {
    this.#steps.push(step);
    this.#losses.push(loss);
    this.#accuracies.push(accuracy * 100);
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.#draw();
    });
  }

  clear(): void {
    this.#steps.length = 0;
    this.#losses.length = 0;
    this.#accuracies.length = 0;
    this.#draw();
  }

  /** The two charts for the data so far, each half the container's width. */
  #chart(): Chart {
    const width = Math.max(320, this.#container.clientWidth || 560);
    const half = Math.floor(width / 2);
    // Before the first step there is nothing to scale the axes by: fixed limits stand in.
    const empty = this.#steps.length === 0;
    const loss = lineChart({
      series: [
        { name: 'loss', values: this.#losses, x: this.#steps, color: lossColor, markers: false },
      ],
      title: 'loss',
      width: half,
      height,
      ...(empty ? { xLimits: [0, 1] as const, yLimits: [0, 2.5] as const } : {}),
    });
    const accuracy = lineChart({
      series: [
        {
          name: 'batch accuracy %',
          values: this.#accuracies,
          x: this.#steps,
          color: accuracyColor,
          markers: false,
        },
      ],
      title: 'batch accuracy %',
      yLimits: [0, 100],
      width: width - half,
      height,
      ...(empty ? { xLimits: [0, 1] as const } : {}),
    });
    return figure([loss, accuracy]);
  }

  #draw(): void {
    const chart = this.#chart();
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.#canvas;
    canvas.width = Math.round(chart.width * ratio);
    canvas.height = Math.round(chart.height * ratio);
    canvas.style.width = `${chart.width}px`;
    canvas.style.height = `${chart.height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    chart.drawOnCanvas(ctx);
  }
}
