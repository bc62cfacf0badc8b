// Prints one plain closing line after a run, `tests: N passed, N failed, N skipped`, with
// a count per project above it, so CI logs and readers see at a glance what ran where.

import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const perProject = new Map<string, { passed: number; failed: number; skipped: number }>();
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      const name = testModule.project.name || 'default';
      const counts = perProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      perProject.set(name, counts);
      if (testModule.state() === 'failed' && [...testModule.children.allTests()].length === 0) {
        counts.failed++; // a file that failed to load has no tests to count
        total.failed++;
      }
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        const key = state === 'passed' ? 'passed' : state === 'failed' ? 'failed' : 'skipped';
        counts[key]++;
        total[key]++;
      }
    }
    const lines = [...perProject]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([name, c]) => `  ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`,
      );
    console.log(`\n${lines.join('\n')}`);
    console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  }
}
