// Conformance cases: indexing ops.
import type { ConformanceCase } from '../conformance.js';

export const indexingCases: ConformanceCase[] = [];
