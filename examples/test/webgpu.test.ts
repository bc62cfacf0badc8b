// Every example, run on WebGPU (Dawn in Node; lavapipe where there is no GPU).
import { describeExamples } from './run-examples.ts';

await describeExamples('webgpu');
