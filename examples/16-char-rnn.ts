// A character-level language model: Embedding, LSTM and Linear trained to predict the next
// character of a short text, then sampled one character at a time, its state carried from
// step to step. Ports the model of PyTorch's char-RNN tutorials ("NLP From Scratch:
// Generating Names with a Character-Level RNN", and the classic char-rnn on Shakespeare)
// to a few paragraphs of Lewis Carroll's "Alice's Adventures in Wonderland" (1865, public
// domain), written out below.
//
//   pnpm example 16-char-rnn [--device cpu|webgpu]

import assert from 'node:assert/strict';
import * as nn from '@dl/nn';
import { Adam } from '@dl/optim';
import { manualSeed, noGrad, rand, type Tensor, tensor } from '@dl/tensor';
import { deviceFromArgs } from './device.ts';

const text = `Alice was beginning to get very tired of sitting by her sister on the bank, and of
having nothing to do: once or twice she had peeped into the book her sister was reading, but
it had no pictures or conversations in it, "and what is the use of a book," thought Alice
"without pictures or conversations?"
So she was considering in her own mind (as well as she could, for the hot day made her feel
very sleepy and stupid), whether the pleasure of making a daisy-chain would be worth the
trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink eyes ran
close by her.
There was nothing so very remarkable in that; nor did Alice think it so very much out of the
way to hear the Rabbit say to itself, "Oh dear! Oh dear! I shall be late!" (when she thought
it over afterwards, it occurred to her that she ought to have wondered at this, but at the time
it all seemed quite natural); but when the Rabbit actually took a watch out of its
waistcoat-pocket, and looked at it, and then hurried on, Alice started to her feet, for it
flashed across her mind that she had never before seen a rabbit with either a
waistcoat-pocket, or a watch to take out of it, and burning with curiosity, she ran across the
field after it, and fortunately was just in time to see it pop down a large rabbit-hole under
the hedge.
In another moment down went Alice after it, never once considering how in the world she was
to get out again.
The rabbit-hole went straight on like a tunnel for some way, and then dipped suddenly down, so
suddenly that Alice had not a moment to think about stopping herself before she found herself
falling down a very deep well.
Either the well was very deep, or she fell very slowly, for she had plenty of time as she went
down to look about her and to wonder what was going to happen next. First, she tried to look
down and make out what she was coming to, but it was too dark to see anything; then she looked
at the sides of the well, and noticed that they were filled with cupboards and book-shelves;
here and there she saw maps and pictures hung upon pegs.`.replace(/\n/g, ' ');

const device = await deviceFromArgs();
manualSeed(0);

// The vocabulary: every character of the text, and each character's index.
const chars = [...new Set(text)].sort();
const index = new Map(chars.map((c, i) => [c, i]));
const encoded = Int32Array.from(text, (c) => index.get(c)!);
const vocabSize = chars.length;
console.log(`${text.length} characters, ${vocabSize} distinct`);

class CharRNN extends nn.Module<[Tensor, [Tensor, Tensor]]> {
  embedding = new nn.Embedding(vocabSize, 32);
  lstm = new nn.LSTM(32, 128, { batchFirst: true });
  head = new nn.Linear(128, vocabSize);

  /** Logits of the next character at each position, and the LSTM's state after the last. */
  override forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [output, next] = this.lstm.call(this.embedding.call(x), state);
    return [this.head.call(output), next];
  }
}

// Hyperparameters: windows of 32 characters, 32 windows a batch, 150 steps.
const [seqLength, batchSize, steps] = [32, 32, 150];
const model = new CharRNN().to(device);
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
const lossFn = new nn.CrossEntropyLoss();

/** A batch of random windows: inputs, and targets shifted one character on. */
async function batch(): Promise<[Tensor, Tensor]> {
  const starts = await rand([batchSize])
    .mul(encoded.length - seqLength - 1)
    .floor()
    .data();
  const windows = [...starts].map((s) => encoded.subarray(s, s + seqLength + 1));
  const all = tensor(
    windows.flatMap((w) => [...w]),
    { dtype: 'int32' },
  ).reshape([batchSize, seqLength + 1]);
  return [all.narrow(1, 0, seqLength).to(device), all.narrow(1, 1, seqLength).to(device)];
}

const uniform = Math.log(vocabSize);
console.log(`uniform baseline: ${uniform.toFixed(3)} nats per character`);
const started = performance.now();
const losses: number[] = [];
model.train();
for (let step = 1; step <= steps; step++) {
  const [x, y] = await batch();
  const [logits] = model.call(x);
  const loss = lossFn.call(logits.reshape([-1, vocabSize]), y.reshape([-1]));
  optimizer.zeroGrad();
  loss.backward();
  nn.utils.clipGradNorm_(model.parameters(), 5);
  optimizer.step();
  losses.push(await loss.item());
  if (step % 25 === 0) console.log(`step ${step}: loss ${losses.at(-1)!.toFixed(3)}`);
}
console.log(`trained ${steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The loss over the whole text, read as one sequence.
model.eval();
const whole = await noGrad(async () => {
  const x = tensor(encoded.subarray(0, -1)).unsqueeze(0).to(device);
  const y = tensor(encoded.subarray(1)).to(device);
  const [logits] = model.call(x);
  return lossFn.call(logits.squeeze(0), y).item();
});
console.log(`loss over the text: ${whole.toFixed(3)} (uniform ${uniform.toFixed(3)})`);
const firstLosses = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
assert.ok(firstLosses > 0.8 * uniform, `the first losses (${firstLosses}) start near uniform`);
assert.ok(whole < 0.4 * uniform, `the loss over the text (${whole}) is well below ${uniform}`);

// Sampling: feed a prompt, then draw each next character from softmax(logits / temperature)
// and feed it back, carrying the LSTM's state instead of re-reading the text so far.
function sample(prompt: string, length: number, temperature: number): Promise<string> {
  return noGrad(async () => {
    let out = prompt;
    let state: [Tensor, Tensor] | undefined;
    let input = tensor(Int32Array.from(prompt, (c) => index.get(c)!)).unsqueeze(0);
    for (let i = 0; i < length; i++) {
      const [logits, next] = model.call(input.to(device), state);
      state = next;
      const probabilities = await logits
        .select(1, -1)
        .div(temperature)
        .softmax(-1)
        .squeeze(0)
        .data();
      // Inverse transform sampling with dl's seeded generator, as torch.multinomial would.
      let u = await rand([1]).item();
      let choice = 0;
      while (choice < vocabSize - 1 && u >= probabilities[choice]!) u -= probabilities[choice++]!;
      out += chars[choice];
      input = tensor(Int32Array.of(choice)).unsqueeze(0);
    }
    return out;
  });
}

const sampled = await sample('Alice ', 120, 0.6);
console.log(`sample: ${JSON.stringify(sampled)}`);
assert.equal(sampled.length, 'Alice '.length + 120);
// At a low temperature the model writes words of the text: most of what it wrote should be
// words that occur in it.
const words = new Set(text.toLowerCase().match(/[a-z]+/g));
const written = sampled.toLowerCase().match(/[a-z]+/g) ?? [];
const known = written.filter((w) => words.has(w)).length / written.length;
console.log(`${(100 * known).toFixed(0)}% of the sampled words occur in the text`);
assert.ok(known > 0.5, `most sampled words are words of the text (${known})`);
