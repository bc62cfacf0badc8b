// SequentialLR: hands the schedule from one scheduler to the next at milestone epochs, as
// PyTorch 1.13 does (the next scheduler restarts from epoch 0 in its closed form).

import { LRScheduler, type SchedulableOptimizer, type SchedulerStateDict } from './scheduler.js';

/**
 * Runs `schedulers` one after another, switching at the `milestones` epochs, as
 * torch.optim.lr_scheduler.SequentialLR (warm-up, then decay).
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];

  constructor(
    optimizer: SchedulableOptimizer,
    schedulers: readonly LRScheduler[],
    milestones: readonly number[],
    options: { lastEpoch?: number } = {},
  ) {
    const name = 'SequentialLR';
    schedulers.forEach((scheduler, i) => {
      if (scheduler.optimizer !== optimizer) {
        throw new Error(
          `${name}: expects all schedulers to belong to the same optimizer, but the scheduler at index ${i} has another`,
        );
      }
    });
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new Error(
        `${name}: expects one more scheduler than milestones, but got ${schedulers.length} schedulers and ${milestones.length} milestones`,
      );
    }
    super(name, optimizer, options.lastEpoch);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch += 1;
    // Undo the first steps the schedulers took when they were built, then start the first.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr!;
    for (const scheduler of this.schedulers) scheduler.rewind();
    this.schedulers[0]!.restart();
    this.setLastLr(this.schedulers[0]!.getLastLr());
  }

  protected getLr(): number[] {
    return this.currentLrs(); // never called: step() delegates to the current scheduler
  }

  override step(): void {
    this.lastEpoch += 1;
    const index = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[index]!;
    if (index > 0 && this.milestones[index - 1] === this.lastEpoch) scheduler.stepTo(0);
    else scheduler.step();
    this.setLastLr(scheduler.getLastLr());
  }

  protected override extraState(): SchedulerStateDict {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  protected override checkExtraState(state: SchedulerStateDict): void {
    const saved = state['schedulers'];
    if (!Array.isArray(saved) || saved.length !== this.schedulers.length) {
      throw new TypeError(
        `SequentialLR: state dict should hold ${this.schedulers.length} scheduler states, got ${String(saved)}`,
      );
    }
  }

  protected override loadExtraState(state: SchedulerStateDict): void {
    const saved = state['schedulers'] as readonly SchedulerStateDict[]; // checked by checkExtraState
    for (const [i, scheduler] of this.schedulers.entries()) scheduler.loadStateDict(saved[i]!);
  }
}
