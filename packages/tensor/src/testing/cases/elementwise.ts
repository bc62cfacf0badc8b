// Conformance cases: elementwise ops.
import type { ConformanceCase } from '../conformance.js';

export const elementwiseCases: ConformanceCase[] = [];
