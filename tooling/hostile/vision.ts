// Hostile inputs for @dl/vision (issue 19): builds IDX and PNG bombs, malformed files and bad
// data sets, then runs each through the CLI (`dl-mnist train --data`, `dl-mnist predict`) or
// the library in a child process under /usr/bin/time -v, and prints one line per case: peak
// RSS, wall time, exit code and the first line of the error.
//
//   pnpm turbo run build && npx tsx tooling/hostile/vision.ts [folder] [--only substring]
//
// The files are written to the folder (default /tmp/dl-hostile-vision) once and reused.

import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, createDeflate, createGzip, deflateSync, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'apps/mnist/dist/cli.js');
const vision = join(root, 'packages/vision/dist/index.node.js');

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1] : undefined;
const work = resolve(args[0] ?? '/tmp/dl-hostile-vision');
mkdirSync(work, { recursive: true });

// ---- IDX files ----------------------------------------------------------------------------

function idxHeader(typeCode: number, shape: readonly number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = shape.length;
  for (const [d, size] of shape.entries()) view.setUint32(4 + 4 * d, size, false);
  return header;
}

function idx(shape: readonly number[], fill: (i: number) => number = () => 0): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const body = Uint8Array.from({ length: count }, (_, i) => fill(i));
  return Buffer.concat([idxHeader(0x08, shape), body]);
}

/** Gzips `head` followed by `zeros` zero bytes, streaming, without holding the zeros. */
async function gzipWithZeros(path: string, head: Uint8Array, zeros: number): Promise<void> {
  await streamZeros(createGzip({ level: 9 }), path, [head], zeros);
}

async function streamZeros(
  compressor: NodeJS.ReadWriteStream,
  path: string,
  prefix: Uint8Array[],
  zeros: number,
  suffix: Uint8Array[] = [],
): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((ok, fail) => {
    out.on('finish', ok);
    out.on('error', fail);
  });
  compressor.pipe(out);
  const write = (chunk: Uint8Array) =>
    compressor.write(chunk) ? Promise.resolve() : new Promise((ok) => compressor.once('drain', ok));
  for (const chunk of prefix) await write(chunk);
  const block = new Uint8Array(1 << 20);
  for (let left = zeros; left > 0; left -= block.length)
    await write(left >= block.length ? block : block.subarray(0, left));
  for (const chunk of suffix) await write(chunk);
  compressor.end();
  await done;
}

/** A folder with the four MNIST files (n images each), some replaced (null: left out). */
function mnistFolder(
  name: string,
  n: number,
  replace: Record<string, Uint8Array | null> = {},
): string {
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  const digit = (i: number) => ((i % 784) * 7) % 256;
  const files: Record<string, Uint8Array | null> = {
    'train-images-idx3-ubyte': idx([n, 28, 28], digit),
    'train-labels-idx1-ubyte': idx([n], (i) => i % 10),
    't10k-images-idx3-ubyte': idx([n, 28, 28], digit),
    't10k-labels-idx1-ubyte': idx([n], (i) => i % 10),
    ...replace,
  };
  for (const [file, bytes] of Object.entries(files))
    if (bytes) writeFileSync(join(folder, file), bytes);
  return folder;
}

// ---- PNG files ----------------------------------------------------------------------------

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

function ihdr(width: number, height: number, depth = 8, colourType = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width, false);
  view.setUint32(4, height, false);
  data[8] = depth;
  data[9] = colourType;
  return chunk('IHDR', data);
}

const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const iend = () => chunk('IEND', new Uint8Array(0));

/** A 28x28 grey digit-like PNG (a bright square on black). */
function smallPng(): Uint8Array {
  const raw = new Uint8Array(28 * 29);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) raw[y * 29 + 1 + x] = x > 8 && x < 20 && y > 4 && y < 24 ? 255 : 0;
  return Buffer.concat([signature, ihdr(28, 28), chunk('IDAT', deflateSync(raw)), iend()]);
}

/** Writes a PNG whose image data is a zlib stream of `zeros` zero bytes (filter bytes included). */
async function pngWithZeroData(
  path: string,
  header: Uint8Array,
  zeros: number,
  before: Uint8Array[] = [],
): Promise<void> {
  const compressed = join(work, 'idat.tmp');
  await streamZeros(createDeflate({ level: 9 }), compressed, [], zeros);
  const idat = readFileSync(compressed);
  writeFileSync(path, Buffer.concat([signature, header, ...before, chunk('IDAT', idat), iend()]));
}

// ---- building -----------------------------------------------------------------------------

async function build(): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  const made = (name: string) => {
    paths[name] = join(work, name);
    return !existsSync(paths[name]);
  };

  // 1. A gzip bomb as the training images: the header says 100 images of 28x28 (78416 bytes),
  // the stream goes on with 2 GiB of zeros (about 2 MB compressed).
  if (made('idx-gzip-bomb')) {
    const folder = mnistFolder('idx-gzip-bomb.tmp', 100, { 'train-images-idx3-ubyte': null });
    await gzipWithZeros(
      join(folder, 'train-images-idx3-ubyte.gz'),
      idxHeader(0x08, [100, 28, 28]),
      2 ** 31,
    );
    renameSync(folder, paths['idx-gzip-bomb']!);
  }
  // 2. Raw IDX files that lie: a header claiming 60000 images in a 1 KB file, dims whose
  // product is 2^96, trailing bytes after the data, a float type as images.
  if (made('idx-claims-more'))
    mnistFolder('idx-claims-more', 100, {
      'train-images-idx3-ubyte': Buffer.concat([
        idxHeader(0x08, [60000, 28, 28]),
        new Uint8Array(1000),
      ]),
    });
  if (made('idx-huge-dims'))
    mnistFolder('idx-huge-dims', 100, {
      'train-images-idx3-ubyte': Buffer.concat([
        idxHeader(0x08, [0xffffffff, 0xffffffff, 0xffffffff]),
        new Uint8Array(1000),
      ]),
    });
  if (made('idx-trailing'))
    mnistFolder('idx-trailing', 100, {
      'train-images-idx3-ubyte': Buffer.concat([idx([100, 28, 28]), new Uint8Array(5)]),
    });
  if (made('idx-gzip-trailing'))
    mnistFolder('idx-gzip-trailing', 100, {
      'train-images-idx3-ubyte': null,
      'train-images-idx3-ubyte.gz': gzipSync(
        Buffer.concat([idx([100, 28, 28]), new Uint8Array(5)]),
      ),
    });
  if (made('idx-count-mismatch'))
    mnistFolder('idx-count-mismatch', 100, { 'train-labels-idx1-ubyte': idx([99]) });
  // 3. Data sets that parse but are not MNIST: a label of 12 at index 345, 32x32 images.
  if (made('labels-out-of-range'))
    mnistFolder('labels-out-of-range', 400, {
      'train-labels-idx1-ubyte': idx([400], (i) => (i === 345 ? 12 : i % 10)),
    });
  if (made('images-32x32'))
    mnistFolder('images-32x32', 400, { 'train-images-idx3-ubyte': idx([400, 32, 32]) });

  // 4. PNGs: 20000x20000 grey (400 MB of pixels in about 389 KB), a bad IHDR CRC, a 64x64
  // image whose IDAT inflates to 1 GiB, an iCCP profile that inflates to 1 GiB.
  if (made('big.png')) await pngWithZeroData(paths['big.png']!, ihdr(20000, 20000), 20000 * 20001);
  // Just within the default pixel limit: 9459x9459 16-bit RGBA (716 MB of image data).
  if (made('limit-rgba16.png'))
    await pngWithZeroData(
      paths['limit-rgba16.png']!,
      ihdr(9459, 9459, 16, 6),
      9459 * (1 + 9459 * 8),
    );
  if (made('small.png')) writeFileSync(paths['small.png']!, smallPng());
  if (made('bad-ihdr-crc.png')) {
    const bytes = smallPng();
    bytes[29]! ^= 0xff; // the IHDR's CRC: 8 (signature) + 4 (length) + 4 (type) + 13 (data)
    writeFileSync(paths['bad-ihdr-crc.png']!, bytes);
  }
  if (made('idat-bomb.png')) await pngWithZeroData(paths['idat-bomb.png']!, ihdr(64, 64), 2 ** 30);
  if (made('iccp-bomb.png')) {
    const profile = join(work, 'iccp.tmp');
    await streamZeros(createDeflate({ level: 9 }), profile, [], 2 ** 30);
    const data = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), readFileSync(profile)]);
    const png = smallPng();
    // After the signature and IHDR (8 + 25 bytes), before the IDAT.
    writeFileSync(
      paths['iccp-bomb.png']!,
      Buffer.concat([png.subarray(0, 33), chunk('iCCP', data), png.subarray(33)]),
    );
  }
  return paths;
}

// ---- measuring ----------------------------------------------------------------------------

interface Result {
  rssMb: number;
  seconds: number;
  exit: string;
  firstLine: string;
}

function measure(command: string[]): Result {
  const run = spawnSync('/usr/bin/time', ['-v', ...command], {
    encoding: 'utf8',
    cwd: work,
    timeout: 300_000,
    maxBuffer: 64 << 20,
  });
  const stderr = run.stderr ?? '';
  const at = stderr.indexOf('\tCommand being timed:');
  const own = at >= 0 ? stderr.slice(0, at) : stderr;
  const timing = at >= 0 ? stderr.slice(at) : '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(timing);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(
    timing,
  );
  const signal = /Command terminated by signal (\d+)/.exec(own + timing);
  const status = /Exit status: (\d+)/.exec(timing);
  const lines = own.split('\n').filter((line) => line.trim() !== '' && !/^Command/.test(line));
  const stdoutLast = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  return {
    rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    seconds: wall
      ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3])
      : Number.NaN,
    exit: signal ? `signal ${signal[1]}` : status ? status[1]! : String(run.status),
    firstLine:
      lines.length > 0
        ? `${lines[0]!.trim()}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ''}`
        : `(no error; stdout ends: ${stdoutLast.slice(0, 100)})`,
  };
}

/** A library call in a child process, its error printed as a CLI would: its message only. */
const node = (script: string) => [
  process.execPath,
  '--input-type=module',
  '-e',
  `import * as vision from ${JSON.stringify(vision)};
try {
  ${script}
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}`,
];

async function main(): Promise<void> {
  if (!existsSync(cli) || !existsSync(vision)) {
    console.error('build first: pnpm turbo run build');
    process.exit(1);
  }
  const paths = await build();
  const checkpoint = join(work, 'run', 'best.safetensors');
  if (!existsSync(checkpoint)) {
    const made = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        '--limit',
        '256',
        '--test-limit',
        '100',
        '--epochs',
        '1',
        '--device',
        'cpu',
      ].concat(['--out', join(work, 'run')]),
      { encoding: 'utf8' },
    );
    if (!existsSync(checkpoint)) {
      console.error(`could not make a checkpoint:\n${made.stdout}\n${made.stderr}`);
      process.exit(1);
    }
  }
  const train = (folder: string) => [
    process.execPath,
    cli,
    'train',
    '--data',
    folder,
    '--device',
    'cpu',
    '--epochs',
    '1',
    '--limit',
    '64',
    '--test-limit',
    '64',
    '--out',
    join(work, 'out'),
  ];
  const predict = (png: string) => [
    process.execPath,
    cli,
    'predict',
    checkpoint,
    png,
    '--device',
    'cpu',
  ];
  const load = (folder: string) =>
    node(`new vision.MNIST({ root: ${JSON.stringify(folder)} }); console.log('loaded');`);
  const loadAsync = (folder: string) =>
    node(`await vision.MNIST.create({ root: ${JSON.stringify(folder)} }); console.log('loaded');`);
  const read = (png: string) =>
    node(
      `const i = await vision.readImage(${JSON.stringify(png)}); console.log(i.width, i.height);`,
    );

  const cases: [string, string[]][] = [
    ['cli train: 2 MB gzip bomb as train images', train(paths['idx-gzip-bomb']!)],
    ['lib new MNIST: gzip bomb', load(paths['idx-gzip-bomb']!)],
    ['lib MNIST.create: gzip bomb', loadAsync(paths['idx-gzip-bomb']!)],
    ['cli train: raw header claims 60000 images', train(paths['idx-claims-more']!)],
    ['cli train: dims 2^32-1 cubed', train(paths['idx-huge-dims']!)],
    ['cli train: raw IDX with 5 trailing bytes', train(paths['idx-trailing']!)],
    ['cli train: gzip IDX with 5 trailing bytes', train(paths['idx-gzip-trailing']!)],
    ['cli train: 100 images, 99 labels', train(paths['idx-count-mismatch']!)],
    ['cli train: label 12 at index 345', train(paths['labels-out-of-range']!)],
    ['cli train: 32x32 images', train(paths['images-32x32']!)],
    ['cli predict: 389 KB PNG of 20000x20000', predict(paths['big.png']!)],
    ['lib readImage: 20000x20000 PNG', read(paths['big.png']!)],
    ['lib readImage: 9459x9459 RGBA16, at the pixel limit', read(paths['limit-rgba16.png']!)],
    ['cli predict: bad IHDR CRC', predict(paths['bad-ihdr-crc.png']!)],
    ['cli predict: 64x64 PNG, IDAT inflates to 1 GiB', predict(paths['idat-bomb.png']!)],
    ['cli predict: iCCP inflates to 1 GiB', predict(paths['iccp-bomb.png']!)],
    ['cli predict: a valid 28x28 PNG (control)', predict(paths['small.png']!)],
  ];
  console.log('case | peak RSS | time | exit | first line of the error');
  for (const [name, command] of cases) {
    if (only !== undefined && !name.includes(only)) continue;
    const r = measure(command);
    console.log(
      `${name} | ${r.rssMb.toFixed(0)} MB | ${r.seconds.toFixed(2)} s | ${r.exit} | ${r.firstLine}`,
    );
  }
}

await main();
