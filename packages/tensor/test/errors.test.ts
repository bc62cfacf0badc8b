// Bad input gets an error that names the values involved, and leaves inputs and the graph as
// they were.
import { cat, conv2d, cpu, memory, ones, pad, randn, tensor, zeros } from '@dl/tensor';
import { describe, expect, it } from 'vitest';

describe('error messages', () => {
  it('refuses an int32 scalar past int32 where wrapping would change the answer, naming the op', () => {
    const z = zeros([3], { dtype: 'int32' });
    // PyTorch 1.13 wraps these silently (int32 zeros == 2**32 holds); dl refuses them.
    expect(() => z.eq(2 ** 32)).toThrow(
      'eq: value cannot be converted to type int32 without overflow: 4294967296',
    );
    expect(() => z.lt(3e9)).toThrow('lt: value cannot be converted to type int32');
    expect(() => z.clamp(tensor([0, 0, 0], { dtype: 'int32' }), 3e9)).toThrow(
      'clamp: value cannot be converted to type int32',
    );
    expect(() => z.pow(3e9)).toThrow('pow: value cannot be converted to type int32');
    expect(() => z.scatter(0, tensor([1], { dtype: 'int32' }), 3e9)).toThrow(
      'scatter: value cannot be converted to type int32',
    );
    expect(() => z.maskedFill(tensor([true, false, true]), -3e9)).toThrow(
      'maskedFill: value cannot be converted to type int32',
    );
    expect(() => pad(z, [1, 1], 'constant', 2 ** 31)).toThrow('pad: value cannot be converted');
    // Arithmetic wraps, as int32 does (and as PyTorch does): (0 + 2^32 + 1) mod 2^32 = 1.
    expect(Array.from(z.add(2 ** 32 + 1).dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(z.eq(5).dataSync())).toEqual([0, 0, 0]);
  });

  it('refuses a CPU tensor past the allocation limit at once, naming its size and the limit', () => {
    const before = memory();
    // 16 GiB: refused before any memory is taken (the process would be killed otherwise).
    expect(() => zeros([65536, 65536])).toThrow(
      "cpu: a float32 tensor of 4294967296 elements needs 17179869184 bytes (16 GiB), more than the CPU backend's limit of 4 GiB per tensor; set cpu.maxAllocationBytes to allow it",
    );
    expect(() => ones([2 ** 30 + 1], { dtype: 'int32' })).toThrow('limit of 4 GiB');
    expect(memory().storages).toBe(before.storages);
    const limit = cpu.maxAllocationBytes;
    try {
      cpu.maxAllocationBytes = 1024;
      expect(zeros([256]).numel()).toBe(256); // exactly 1024 bytes
      expect(() => zeros([257])).toThrow('needs 1028 bytes');
      expect(() => tensor(new Float32Array(300))).toThrow('needs 1200 bytes');
      expect(() => {
        cpu.maxAllocationBytes = -1;
      }).toThrow('maxAllocationBytes must be a positive number, got -1');
      expect(cpu.maxAllocationBytes).toBe(1024);
    } finally {
      cpu.maxAllocationBytes = limit;
    }
    expect(cpu.maxAllocationBytes).toBe(2 ** 32);
  });

  it('names both shapes when a matrix product does not fit', () => {
    const a = zeros([64, 9216]);
    const b = zeros([9200, 128]);
    expect(() => a.matmul(b)).toThrow(
      'mat1 and mat2 shapes cannot be multiplied (64x9216 and 9200x128)',
    );
    expect(() => a.mm(zeros([3]))).toThrow(
      'mm: expected 2-D tensors, got 2-D ([64, 9216]) and 1-D ([3])',
    );
  });

  it('names the sizes when shapes do not broadcast', () => {
    expect(() => zeros([2, 3]).add(zeros([4]))).toThrow(
      'add: the size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1 (shapes [2, 3] and [4])',
    );
  });

  it('gives the valid range for a bad dim', () => {
    expect(() => zeros([2, 3]).sum(2)).toThrow(
      'sum: dimension out of range (expected to be in range of [-2, 1], but got 2)',
    );
    expect(() => zeros([2, 3]).softmax(-3)).toThrow(
      'softmax: dimension out of range (expected to be in range of [-2, 1], but got -3)',
    );
  });

  it('names the bad index and the size', () => {
    expect(() => zeros([2, 3]).select(1, 3)).toThrow(
      'select(): index 3 out of range for tensor of size [2, 3] at dimension 1',
    );
    expect(() => zeros([3]).gather(0, tensor([0, 5], { dtype: 'int32' }))).toThrow(
      'gather: index 5 is out of bounds for dimension 0 with size 3',
    );
    expect(() => zeros([3]).indexSelect(0, tensor([0.5]))).toThrow(
      'indexSelect(): expected an int32 index tensor, got float32',
    );
    // Numbers are float32 by default: the message says how to ask for indices.
    expect(() => zeros([3]).gather(0, tensor([0, 1]))).toThrow("{ dtype: 'int32' }");
  });

  it('explains a reshape that cannot hold the elements', () => {
    expect(() => zeros([2, 3]).reshape(4, 2)).toThrow(
      "reshape: shape '[4, 2]' is invalid for input of size 6",
    );
    expect(() => zeros([2, 3]).t().view(6)).toThrow(
      /view size is not compatible with input tensor's size and stride/,
    );
  });

  it('names the channel counts when a convolution weight does not fit its input', () => {
    expect(() => conv2d(zeros([1, 3, 8, 8]), zeros([4, 2, 3, 3]))).toThrow(
      'conv2d: given groups=1, weight of size [4, 2, 3, 3], expected input[1, 3, 8, 8] to have 2 channels, but got 3 channels instead',
    );
  });

  it('explains a cat of mismatched tensors', () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow(
      'cat(): sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.',
    );
  });

  it('leaves the inputs and the graph usable after a failed op', () => {
    const w = randn([3, 2], { requiresGrad: true });
    const x = randn([4, 3]);
    const h = x.matmul(w);
    expect(() => h.matmul(zeros([3, 1]))).toThrow(/cannot be multiplied \(4x2 and 3x1\)/);
    expect(() => h.add_(zeros([5]))).toThrow(/must match/);
    expect(h.gradFn?.name).toBe('MatmulBackward');
    h.sum().backward();
    expect(w.grad?.shape).toEqual([3, 2]);
    const expected = Array.from({ length: 3 }, (_, i) =>
      Array.from(x.dataSync())
        .filter((_, k) => k % 3 === i)
        .reduce((a, b) => a + b, 0),
    );
    const grad = Array.from(w.grad!.dataSync());
    for (let i = 0; i < 3; i++) {
      expect(grad[2 * i]).toBeCloseTo(expected[i]!, 5);
      expect(grad[2 * i + 1]).toBeCloseTo(expected[i]!, 5);
    }
  });
});
