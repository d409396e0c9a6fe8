// Runs the "Loading an object file" example of packages/kernel/README.md as written.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { describeWith } from "./support/env.js";

describeWith(["root", "vmlinux-btf"], "packages/kernel/README.md: Loading an object file", () => {
  it("the example runs: drops UDP, counts it typed, reads the .bss global, leaks no descriptor", async () => {
    const readme = readFileSync(new URL("../packages/kernel/README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Loading an object file"));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    expect(example!.split("\n").length).toBeLessThan(26);
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-api-readme-"));
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
    expect(printed).toEqual(["verdict 1", "UDP packets: 10", "packets seen: 10"]);
    expect(readdirSync("/proc/self/fd").length).toBe(before);
  });
});
