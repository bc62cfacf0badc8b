// Conformance cases: shape ops.
import type { ConformanceCase } from '../conformance.js';

export const shapeCases: ConformanceCase[] = [];
