// Safetensors bytes built by hand for the tests: the 8-byte length (the header's own, or a
// claimed one), the header text as given, and the data.

/** The bytes of a file with header `header` (JSON text, or a value to stringify) and `data`. */
export function safetensorsBytes(
  header: string | object,
  data: Uint8Array = new Uint8Array(0),
  claimedLength?: bigint,
): Uint8Array {
  const text = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** An F32 tensor entry of `shape` whose data is bytes [begin, end). */
export function f32Entry(shape: number[], begin: number, end: number) {
  return { dtype: 'F32', shape, data_offsets: [begin, end] };
}

/** The error `run` throws (an Error, or the test fails). */
export function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('did not throw');
}
