// Every example, run on the CPU.
import { describeExamples } from './run-examples.ts';

await describeExamples('cpu');
