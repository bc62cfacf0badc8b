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
export { decodeModel, type ModelMessage } from './proto.js';
