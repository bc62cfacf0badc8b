// Conformance cases: nn ops.
import type { ConformanceCase } from '../conformance.js';

export const nnCases: ConformanceCase[] = [];
