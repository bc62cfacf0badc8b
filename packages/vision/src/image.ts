// RawImage: an 8-bit image as rows of interleaved channels (height x width x channels),
// what the datasets hand out before a transform, like a PIL image in torchvision.

/**
 * An 8-bit image as rows of interleaved channels (height × width × channels): what the datasets
 * hand out before a transform, like a PIL image in torchvision.
 */
export interface RawImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
}

/** Whether `value` has RawImage's fields (data as a Uint8Array, height, width, channels). */
export function isRawImage(value: unknown): value is RawImage {
  return (
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    value.data instanceof Uint8Array &&
    'height' in value &&
    'width' in value &&
    'channels' in value
  );
}

/** Checks that the fields agree with each other and returns the image. */
export function rawImage(data: Uint8Array, height: number, width: number, channels = 1): RawImage {
  if (![height, width, channels].every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError(
      `rawImage: height, width and channels must be positive integers, got ${height}, ${width}, ${channels}`,
    );
  if (data.length !== height * width * channels) {
    throw new RangeError(
      `rawImage: ${data.length} bytes do not make a ${height}x${width} image of ${channels} channel(s) (${height * width * channels} bytes)`,
    );
  }
  return { data, height, width, channels };
}
