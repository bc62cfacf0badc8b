// Conformance cases: linalg ops.
import type { ConformanceCase } from '../conformance.js';

export const linalgCases: ConformanceCase[] = [];
