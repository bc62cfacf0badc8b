// The training loop behind the page's start/pause button: Adam on MNIST batches, one step at
// a time, reporting loss, batch accuracy and samples/s after each step so the chart and
// counters stay live. Pausing finishes the current step and keeps the epoch's position.

import { DataLoader, type Dataset } from '@dl/data';
import { F } from '@dl/nn';
import { Adam } from '@dl/optim';
import type { Backend, Tensor } from '@dl/tensor';
import type { DigitModel } from './models.ts';

export interface StepReport {
  step: number;
  epoch: number;
  loss: number;
  /** Fraction of the batch classified correctly (before the step's update). */
  accuracy: number;
  /** Images per second over the last few steps. */
  samplesPerSecond: number;
}

export interface TrainerOptions {
  batchSize: number;
  lr: number;
  onStep: (report: StepReport) => void;
  /** A step failed; training has stopped. */
  onError: (error: unknown) => void;
}

type Batch = [Tensor, Tensor];

export class Trainer {
  readonly model: DigitModel;
  readonly device: Backend;
  readonly #loader: DataLoader<[Tensor, number]>;
  readonly #optimizer: Adam;
  readonly #options: TrainerOptions;
  #iterator: AsyncIterator<Batch> | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #step = 0;
  #epoch = 1;
  /** [time in ms, images] of recent steps, for samples/s. */
  readonly #recent: [number, number][] = [];

  constructor(
    model: DigitModel,
    device: Backend,
    dataset: Dataset<[Tensor, number]>,
    options: TrainerOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`Trainer: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.model = model;
    this.device = device;
    this.#options = options;
    this.#loader = new DataLoader(dataset, {
      batchSize: options.batchSize,
      shuffle: true,
      dropLast: true,
    });
    this.#optimizer = new Adam(model.parameters(), { lr: options.lr });
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run()
      .catch(this.#options.onError)
      .finally(() => {
        this.#running = false;
      });
  }

  /** Stops after the current step; resolves when it has finished. */
  async pause(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #nextBatch(): Promise<Batch> {
    for (;;) {
      this.#iterator ??= this.#loader[Symbol.asyncIterator]() as AsyncIterator<Batch>;
      const next = await this.#iterator.next();
      if (!next.done) return next.value;
      this.#iterator = undefined;
      this.#epoch++;
    }
  }

  async #run(): Promise<void> {
    this.model.train();
    while (this.#running) {
      const [xCpu, yCpu] = await this.#nextBatch();
      const x = xCpu.to(this.device);
      const y = yCpu.to(this.device);
      this.#optimizer.zeroGrad();
      // No tidy() around the forward pass: with the DigitRecognizer on WebGPU it disposes an
      // intermediate that a pending fused kernel of the backward pass still reads. The graph's
      // tensors are freed by backward; the accuracy's own temporaries are disposed below.
      const out = this.model.forward(x);
      const loss = F.nllLoss(out, y);
      const predicted = out.argmax(1);
      const hits = predicted.eq(y);
      const correct = hits.sum();
      loss.backward();
      this.#optimizer.step();
      const lossValue = await loss.item();
      const correctValue = await correct.item();
      for (const t of [loss, correct, hits, predicted, out, x, y, xCpu, yCpu]) t.dispose();
      this.#step++;
      const now = performance.now();
      this.#recent.push([now, this.#options.batchSize]);
      if (this.#recent.length > 10) this.#recent.shift();
      const first = this.#recent[0];
      const images = this.#recent.slice(1).reduce((s, [, n]) => s + n, 0);
      const seconds = first && this.#recent.length > 1 ? (now - first[0]) / 1000 : 0;
      this.#options.onStep({
        step: this.#step,
        epoch: this.#epoch,
        loss: lossValue,
        accuracy: correctValue / this.#options.batchSize,
        samplesPerSecond: seconds > 0 ? images / seconds : 0,
      });
    }
    this.model.eval();
  }
}
