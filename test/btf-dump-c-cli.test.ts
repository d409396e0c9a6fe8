// The one-shot C dump entry as it ships: the bundle `pnpm build` makes (examples/dist/btf-dump-c.cjs), executed
// directly so its `#!` node flags apply. Its output must be bpftool's byte for byte, with every engine; bad input
// must give one `Error:` line and a non-zero exit, the stack only with -d.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bpftoolDumpC, firstDifference } from "./btf-dump-c-support.js";
import { describeWith } from "./support/env.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const CLI = new URL("../examples/dist/btf-dump-c.cjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "bpfkit-dump-c-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(...args: string[]) {
  const r = spawnSync(CLI, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

describe("bundled C dump CLI", () => {
  it("keeps the entry's node flags on its first line", () => {
    const first = readFileSync(CLI, "utf8").split("\n", 1)[0];
    const entry = readFileSync(new URL("../examples/btf-dump-c.mjs", import.meta.url), "utf8").split("\n", 1)[0];
    expect(first).toBe(entry);
    expect(first).toMatch(/^#!\/usr\/bin\/env -S node --/);
  });

  it("truncated BTF: one Error line, exit 1, nothing on stdout", () => {
    const file = join(dir, "truncated.btf");
    writeFileSync(file, readFileSync(VMLINUX).subarray(0, 100));
    const r = runCli(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: type section 0\+\d+ past the data \(76\) \(\.BTF, offset 8\)\n$/);
  });

  it("a missing file: the system error in one line", () => {
    const r = runCli(join(dir, "nothing-here"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Error: ENOENT: no such file or directory, open '.*nothing-here'\n$/);
  });

  it("-d adds the stack", () => {
    const r = runCli("-d", join(dir, "nothing-here"));
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").length).toBeGreaterThan(3);
    expect(r.stderr).toMatch(/\n {4}at /);
  });
});

describeWith(["bpftool", "vmlinux-btf"], "bundled C dump CLI = bpftool (vmlinux)", () => {
  let theirs: string | undefined;
  for (const engine of ["js", "wasm"]) {
    it(`--engine ${engine}`, () => {
      const r = runCli("--engine", engine, VMLINUX);
      expect(r.status, r.stderr).toBe(0);
      theirs ??= bpftoolDumpC(VMLINUX);
      const diff = firstDifference(r.stdout, theirs);
      expect(diff, diff).toBeUndefined();
    });
  }
});
