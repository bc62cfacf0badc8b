// The drawing canvas: white strokes on black with a round brush, by mouse, pen or touch
// (pointer events). `ink()` returns each pixel's ink in [0, 1] for the MNIST conversion.

export class Sketch {
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #last: [number, number] | undefined;
  readonly #onChange: () => void;

  constructor(canvas: HTMLCanvasElement, onChange: () => void, brush = 18) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('Sketch: this browser gives no 2D canvas context');
    this.canvas = canvas;
    this.#ctx = ctx;
    this.#onChange = onChange;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = brush;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.#last = this.#point(e);
      this.#segment(this.#last, this.#last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.#last) return;
      const p = this.#point(e);
      this.#segment(this.#last, p);
      this.#last = p;
    });
    const end = () => {
      this.#last = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.#ctx.save();
    this.#ctx.fillStyle = '#000';
    this.#ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.#ctx.restore();
    this.#onChange();
  }

  /** Ink per pixel in [0, 1] (the red channel), row by row. */
  ink(): Float32Array {
    const { width, height } = this.canvas;
    const rgba = this.#ctx.getImageData(0, 0, width, height).data;
    const out = new Float32Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = (rgba[i * 4] ?? 0) / 255;
    return out;
  }

  #point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * this.canvas.width) / r.width,
      ((e.clientY - r.top) * this.canvas.height) / r.height,
    ];
  }

  #segment(from: [number, number], to: [number, number]): void {
    this.#ctx.beginPath();
    this.#ctx.moveTo(from[0], from[1]);
    this.#ctx.lineTo(to[0], to[1]);
    this.#ctx.stroke();
    this.#onChange();
  }
}
