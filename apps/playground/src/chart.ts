// The live training chart: loss (left axis) and batch accuracy (right axis, %) per step,
// drawn with uPlot, redrawn at most once per animation frame.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class TrainingChart {
  readonly #plot: uPlot;
  readonly #steps: number[] = [];
  readonly #losses: number[] = [];
  readonly #accuracies: number[] = [];
  #pending = false;

  constructor(container: HTMLElement) {
    const width = Math.max(320, container.clientWidth || 560);
    this.#plot = new uPlot(
      {
        width,
        height: 260,
        scales: { x: { time: false }, acc: { range: [0, 100] } },
        axes: [
          { label: 'step' },
          { label: 'loss', scale: 'loss' },
          { label: 'accuracy %', scale: 'acc', side: 1, grid: { show: false } },
        ],
        series: [
          { label: 'step' },
          { label: 'loss', scale: 'loss', stroke: '#d9480f', width: 2 },
          { label: 'batch accuracy %', scale: 'acc', stroke: '#1971c2', width: 2 },
        ],
      },
      [[], [], []],
      container,
    );
  }

  push(step: number, loss: number, accuracy: number): void {
    this.#steps.push(step);
    this.#losses.push(loss);
    this.#accuracies.push(accuracy * 100);
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.#plot.setData([this.#steps, this.#losses, this.#accuracies]);
    });
  }

  clear(): void {
    this.#steps.length = 0;
    this.#losses.length = 0;
    this.#accuracies.length = 0;
    this.#plot.setData([[], [], []]);
  }
}
