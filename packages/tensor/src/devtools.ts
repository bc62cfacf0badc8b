// Printing in a browser's console. Node's console.log prints tensors and modules in PyTorch's
// form through util.inspect's custom method; a browser's console shows an object's fields
// instead, unless a DevTools "custom formatter" is registered (Chrome and Firefox: Settings,
// Console, "Enable custom formatters"). registerDevtoolsFormatter adds one that shows the
// printed form, with the object's fields one click away. Nothing is registered unless asked.

import { inspect } from './format.js';

/** DevTools' JsonML: a tag, its attributes, then children. */
type JsonML = [string, Record<string, unknown>, ...(JsonML | string)[]];

/** DevTools' custom formatter protocol (window.devtoolsFormatters). */
interface DevtoolsFormatter {
  header(value: unknown, config?: unknown): JsonML | null;
  hasBody(value: unknown, config?: unknown): boolean;
  body(value: unknown, config?: unknown): JsonML | null;
}

/** The config passed with the object in the body, so it is shown as DevTools would. */
const raw = { dlRaw: true };

/** The printed form of a value that has one (tensors, modules), or undefined. */
function printedForm(value: unknown, config: unknown): string | undefined {
  if (config === raw || typeof value !== 'object' || value === null) return undefined;
  const method: unknown = (value as { [inspect]?: unknown })[inspect];
  if (typeof method !== 'function') return undefined;
  try {
    const text: unknown = method.call(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined; // DevTools shows the object as usual
  }
}

const formatter: DevtoolsFormatter = {
  header(value, config) {
    const text = printedForm(value, config);
    return text === undefined ? null : ['span', { style: 'white-space: pre' }, text];
  },
  hasBody: (value, config) => printedForm(value, config) !== undefined,
  body: (value) => [
    'div',
    { style: 'margin-left: 1em' },
    ['object', { object: value, config: raw }],
  ],
};

/**
 * Makes a browser's console print tensors and modules as Node does (`tensor([1.5000, 2.0000])`,
 * the module's repr), expandable to their fields. Uses DevTools' custom formatters, which
 * the user turns on once in the DevTools settings (Console, "Enable custom formatters").
 * Registering twice registers once.
 */
export function registerDevtoolsFormatter(): void {
  const host = globalThis as { devtoolsFormatters?: unknown[] };
  host.devtoolsFormatters ??= [];
  if (!host.devtoolsFormatters.includes(formatter)) host.devtoolsFormatters.push(formatter);
}
