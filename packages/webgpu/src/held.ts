// Queue work held back behind a batch whose pipelines are still compiling: submissions,
// queue writes and read copies run in the order they were recorded, each once it is ready
// and everything before it has run.

interface HeldWork {
  /** False while a pipeline it needs is compiling. */
  ready(): boolean;
  run(): void;
}

export class HeldQueue {
  #work: HeldWork[] = [];

  constructor(
    /** True once the device is lost: held work is dropped. */
    private readonly lost: () => boolean,
    /** Called when running emptied the queue. */
    private readonly drained: () => void,
    /** Reports what a piece of work threw: whoever recorded it has returned. */
    private readonly report: (error: unknown) => void,
  ) {}

  /** True while any work is held. */
  get pending(): boolean {
    return this.#work.length > 0;
  }

  /** Appends work behind what is held and runs what is ready. */
  hold(ready: () => boolean, run: () => void): void {
    this.#work.push({ ready, run });
    this.run();
  }

  /** Resolves after `work` has run behind the work held now. */
  after(work: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      this.hold(
        () => true,
        () => {
          work();
          resolve();
        },
      );
    });
  }

  /** Runs held work from the front while it is ready (call when a compile settles). */
  run(): void {
    if (this.lost()) {
      this.#work = [];
      return;
    }
    let ran = false;
    while (this.#work.length > 0 && this.#work[0]!.ready()) {
      const work = this.#work.shift()!;
      ran = true;
      try {
        work.run();
      } catch (error) {
        this.report(error);
      }
    }
    if (ran && this.#work.length === 0) this.drained();
  }

  /** Drops all held work (the device is gone). */
  clear(): void {
    this.#work = [];
  }
}
