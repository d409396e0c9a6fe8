// Runs the first example of packages/kernel/README.md as written, so the documentation cannot rot.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { describeWith } from "./support/env.js";

describeWith(["root"], "packages/kernel/README.md", () => {
  it("the example runs, counts 1000 packets and leaks no descriptor", async () => {
    const readme = readFileSync(new URL("../packages/kernel/README.md", import.meta.url), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-readme-"));
    const file = join(dir, "example.ts");
    writeFileSync(file, example as string);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => {
      printed.push(line);
    });
    const before = readdirSync("/proc/self/fd").length;
    try {
      await import(file);
    } finally {
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(printed[0]).toMatch(/^retval 2, \d+ ns per run, counter 1000$/);
    expect(printed[1]).toMatch(/^prog id \d+ "count_packets" tag [0-9a-f]{16}, maps \d+$/);
    expect(readdirSync("/proc/self/fd").length).toBe(before);
  });
});
