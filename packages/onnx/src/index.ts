/**
 * \@dl/onnx: exports dl modules as ONNX models by tracing forward. Node file output
 * (saveOnnx) is in `@dl/onnx/node`.
 *
 * @module \@dl/onnx
 */

export {
  defaultOpset,
  type ExportOnnxOptions,
  exportOnnx,
  maxOpset,
  minOpset,
} from './export.js';
export {
  type AttributeMessage,
  decodeModel,
  type ModelMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './proto.js';
