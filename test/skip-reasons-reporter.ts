import { relative } from 'node:path';
import type { Reporter, TestCase } from 'vitest/node';

/**
 * Lists every skipped test with its reason after the run. The default reporter counts skips but
 * drops the note given to `context.skip(note)`, so a run without ../shared/datasets looked just like
 * a run that had tested the real data.
 */
export default class SkipReasonsReporter implements Reporter {
  private readonly skipped: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state !== 'skipped' || testCase.options.mode === 'todo') return;
    const file = relative(process.cwd(), testCase.module.moduleId);
    this.skipped.push(`  ${file} > ${testCase.fullName}: ${result.note ?? "skipped by its skipIf condition (see the file's warning above)"}`);
  }

  onTestRunEnd(): void {
    if (this.skipped.length === 0) return;
    console.log(`\nSkipped tests and why (${this.skipped.length}):\n${this.skipped.join('\n')}\n`);
  }
}
