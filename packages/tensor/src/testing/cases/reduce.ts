// Conformance cases: reduce ops.
import type { ConformanceCase } from '../conformance.js';

export const reduceCases: ConformanceCase[] = [];
