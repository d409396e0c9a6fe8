// A vitest reporter that ends the run with what was skipped and why, then one plain count line. The default
// reporter shows a wholly skipped file as a grey arrow only; describeWith/itWith put the missing prerequisites in
// the skipped suite's or test's name ("[skipped: needs clang, root]"), and this groups the skips by them.
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

const NEEDS = /\[skipped: needs ([^\]]+)\]/;

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, Map<string, number>>();
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      const file = relative(process.cwd(), module.moduleId);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else if (state === "skipped") {
          skipped++;
          const reason = NEEDS.exec(test.fullName)?.[1] ?? "skipped in the test file (no declared prerequisite)";
          const files = byReason.get(reason) ?? new Map<string, number>();
          files.set(file, (files.get(file) ?? 0) + 1);
          byReason.set(reason, files);
        }
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
    }
    const lines: string[] = [];
    if (byReason.size > 0) {
      lines.push("", "Skipped tests, by missing prerequisite:");
      for (const [reason, files] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
        const count = [...files.values()].reduce((a, b) => a + b, 0);
        lines.push(`  needs ${reason}: ${count} test${count === 1 ? "" : "s"} in ${files.size} file(s)`);
        for (const [file, n] of [...files].sort(([a], [b]) => a.localeCompare(b))) lines.push(`    ${file} (${n})`);
      }
    }
    lines.push("", `${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
