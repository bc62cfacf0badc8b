// Waiting for Dawn in Node without spinning. Node-only: imported by dawn.ts alone.
//
// Dawn's Node binding settles its promises (mapAsync, onSubmittedWorkDone, popErrorScope)
// from a callback that reschedules itself with setImmediate for as long as any of them is
// pending, calling wgpuInstanceProcessEvents each time. While the device works, the
// JavaScript thread therefore spins at full speed. On a machine whose adapter runs on the
// CPU (lavapipe) that thread competes with the driver's own threads: with two cores, a
// 2048 matmul waited for this way took 530-680 ms with the JavaScript thread using 340-510
// ms of CPU, against 360-380 ms with it idle, and an MNIST training step 300 ms against 195.
//
// So while dl waits, Dawn's reschedules are paced (see below): setImmediate for the first
// quarter millisecond, then short sleeps of the thread (Atomics.wait), then a 1 ms timer.
// Dawn looks setImmediate up on the global object each time it reschedules, which is what
// lets this work: the global is swapped for a pacing wrapper during dl's waits and put back
// after the last one ends. Callbacks other than Dawn's native one pass straight through.

import { promisify } from 'node:util';

/**
 * The pace, by how long the wait has lasted: Dawn's own pace for the first `spinMs` (the
 * shortest kernels); then, until `sleepPhaseMs`, a poll after sleeping a twentieth of the
 * time waited so far (at least 50 us), so that a short kernel is picked up within about 5%
 * of its time; after that, a poll per 1 ms timer, which lets other events run meanwhile.
 * Each poll costs the driver too: polling every 100 us throughout made a 1024 matmul
 * slower than a poll per millisecond.
 */
const spinMs = 0.25;
const sleepPhaseMs = 10;
const leastSleepMs = 0.05;
const pollMs = 1;

/** A cell no one notifies: Atomics.wait on it sleeps the thread for the given time. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

type SetImmediate = typeof globalThis.setImmediate;

let active = 0;
let started = 0;
let previous: SetImmediate | undefined;
let paced: SetImmediate | undefined;

/**
 * Dawn's reschedule: a native function made by Node-API (no name, no parameters, with a
 * prototype). JavaScript callbacks are not native; a promise's resolve function (native,
 * anonymous) takes a parameter and has no prototype.
 */
function isDawnPoll(callback: unknown): boolean {
  return (
    typeof callback === 'function' &&
    callback.name === '' &&
    callback.length === 0 &&
    Object.hasOwn(callback, 'prototype') &&
    Function.prototype.toString.call(callback).includes('[native code]')
  );
}

function pacing(through: SetImmediate): SetImmediate {
  const wrapper = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    // Dawn's pace, or not Dawn's poll (the cheap test first: Dawn polls most in this phase).
    const waited = performance.now() - started;
    if (waited < spinMs || !isDawnPoll(callback)) return through(callback, ...args);
    if (waited >= sleepPhaseMs) {
      // The handle differs from setImmediate's; Dawn ignores it.
      return setTimeout(callback, pollMs, ...args) as unknown as NodeJS.Immediate;
    }
    const sleep = Math.max(leastSleepMs, waited / 20);
    return through(() => {
      Atomics.wait(sleeper, 0, 0, sleep);
      callback(...args);
    });
  };
  // util.promisify(setImmediate) must keep working while the wrapper is installed.
  const custom = (through as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined) Object.defineProperty(wrapper, promisify.custom, { value: custom });
  return wrapper as SetImmediate;
}

/**
 * Waits for `work` (a promise Dawn settles) with Dawn's event polling paced as described
 * above. Waits may overlap; the global is restored when the last one ends, unless someone
 * else replaced it meanwhile.
 */
export async function pacedWait<T>(work: Promise<T>): Promise<T> {
  started = performance.now();
  if (active++ === 0) {
    previous = globalThis.setImmediate;
    paced = pacing(previous);
    globalThis.setImmediate = paced;
  }
  try {
    return await work;
  } finally {
    if (--active === 0) {
      if (globalThis.setImmediate === paced && previous) globalThis.setImmediate = previous;
      previous = undefined;
      paced = undefined;
    }
  }
}
