// Folds softmax and logSoftmax written out with Tensor methods (amax, sub, exp, sum, log,
// div) back into ONNX Softmax and LogSoftmax nodes. A sequence that does not match exactly is
// left as it is, still correct.

import type { GraphBuilder } from './graph.js';
import { attr } from './graph.js';
import type { NodeMessage } from './proto.js';

/**
 * softmax:    e = Exp(Sub(x, ReduceMax(x, [k], keep))); y = Div(e, ReduceSum(e, [k], keep))
 * logSoftmax: a = Sub(x, ReduceMax(x, [k], keep));     y = Sub(a, Log(ReduceSum(Exp(a), [k], keep)))
 */
export function fuseSoftmax(graph: GraphBuilder): void {
  const producers = new Map<string, NodeMessage>();
  for (const node of graph.nodes) for (const out of node.output) producers.set(out, node);
  const from = (value: string | undefined, opType: string): NodeMessage | undefined => {
    const node = value === undefined ? undefined : producers.get(value);
    return node?.opType === opType ? node : undefined;
  };
  /** The single kept axis of a keepdims reduction, or undefined. */
  const axisOf = (node: NodeMessage): number | undefined => {
    const keep = node.attribute.find((a) => a.name === 'keepdims');
    if (keep?.i !== 1) return undefined;
    const axesAttribute = node.attribute.find((a) => a.name === 'axes')?.ints;
    const axesInput = graph.initializers.find((i) => i.name === node.input[1])?.ints;
    const axes = axesAttribute ?? axesInput;
    return axes?.length === 1 ? axes[0] : undefined;
  };
  /** x and k when `value` is Sub(x, ReduceMax(x, [k], keep)). */
  const shifted = (value: string | undefined): [string, number] | undefined => {
    const sub = from(value, 'Sub');
    const max = from(sub?.input[1], 'ReduceMax');
    if (!sub || !max || max.input[0] !== sub.input[0]) return undefined;
    const axis = axisOf(max);
    return axis === undefined ? undefined : [sub.input[0]!, axis];
  };
  for (const [i, node] of graph.nodes.entries()) {
    let match: [string, number, 'Softmax' | 'LogSoftmax'] | undefined;
    if (node.opType === 'Div') {
      const exp = from(node.input[0], 'Exp');
      const sum = from(node.input[1], 'ReduceSum');
      const inner = shifted(exp?.input[0]);
      if (exp && sum && inner && sum.input[0] === node.input[0] && axisOf(sum) === inner[1])
        match = [inner[0], inner[1], 'Softmax'];
    } else if (node.opType === 'Sub') {
      const inner = shifted(node.input[0]);
      const log = from(node.input[1], 'Log');
      const sum = from(log?.input[0], 'ReduceSum');
      const exp = from(sum?.input[0], 'Exp');
      if (inner && sum && exp && exp.input[0] === node.input[0] && axisOf(sum) === inner[1])
        match = [inner[0], inner[1], 'LogSoftmax'];
    }
    if (!match) continue;
    const [x, axis, opType] = match;
    graph.nodes[i] = {
      input: [x],
      output: node.output,
      name: graph.unique(node.name.replace(/[^/]*$/, opType)),
      opType,
      attribute: [attr.int('axis', axis)],
    };
  }
}
