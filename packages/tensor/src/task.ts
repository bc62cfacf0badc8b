// Yielding to the event loop from asynchronous CPU reads. A training loop on the CPU whose
// only wait is `await loss.item()` would otherwise run entirely inside one task, because a
// CPU read settles at once: the garbage collector could then never finish freeing the
// step's tensors (finalization callbacks run as tasks of their own, and weak references
// keep their targets alive until the current task ends), and memory would grow with every
// step. Reads yield once enough storage was created since the last task began.

/** Storages created, and their bytes, since the current task began. */
let storages = 0;
let bytes = 0;
let resetScheduled = false;

/** A CPU read yields to the event loop past this much new storage in the current task. */
const yieldAfterStorages = 256;
const yieldAfterBytes = 64 * 1024 * 1024;

type Schedule = (callback: () => void) => void;

/** The parts of the runtime's timers used here (neither is in the ES library types). */
interface TaskGlobals {
  setImmediate?: (callback: () => void) => unknown;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  MessageChannel?: new () => {
    port1: { onmessage: (() => void) | null };
    port2: { postMessage(message: unknown): void };
  };
}

let schedule: Schedule | undefined;

/** Runs `callback` in a new task: setImmediate in Node, a MessageChannel in browsers. */
function scheduler(): Schedule {
  if (schedule) return schedule;
  // Which of these exist depends on the runtime (and on the type libraries compiling this).
  const globals = globalThis as unknown as TaskGlobals;
  const { setImmediate, MessageChannel } = globals;
  if (setImmediate) {
    schedule = (callback) => {
      setImmediate(callback);
    };
  } else if (MessageChannel) {
    // setTimeout(0) is clamped to 4 ms once nested; a message is not.
    const channel = new MessageChannel();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    schedule = (callback) => {
      queue.push(callback);
      channel.port2.postMessage(undefined);
    };
  } else {
    schedule = (callback) => {
      globals.setTimeout?.(callback, 0);
    };
  }
  return schedule;
}

/** Counts a new storage of `byteLength` bytes in the current task. */
export function noteStorage(byteLength: number): void {
  storages++;
  bytes += byteLength;
  if (!resetScheduled) {
    resetScheduled = true;
    scheduler()(() => {
      storages = 0;
      bytes = 0;
      resetScheduled = false;
    });
  }
}

/** Resolves in a later task when the current one created much storage; at once otherwise. */
export function yieldIfBusy(): Promise<void> | undefined {
  if (storages < yieldAfterStorages && bytes < yieldAfterBytes) return undefined;
  return new Promise((resolve) => scheduler()(resolve));
}

/** Resolves in a later task. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => scheduler()(resolve));
}
