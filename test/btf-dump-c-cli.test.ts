// The one-shot C dump entry as it ships: the bundle `pnpm build` makes (examples/dist/btf-dump-c.cjs), executed
// directly so its `#!` node flags apply. Its output must be bpftool's byte for byte, with every engine, for raw
// BTF, an ELF object's .BTF and split BTF on a base (-B); bad input must give one `Error:` line and a non-zero
// exit, the stack only with -d.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { rebaseRawBtf } from "./btf-dump-c-raw.js";
import { bpftoolDumpC, firstDifference, fixtureDir } from "./btf-dump-c-support.js";
import { describeWith, useTempDir } from "./support/env.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const CLI = fileURLToPath(new URL("../examples/dist/btf-dump-c.cjs", import.meta.url));
const dir = useTempDir("bpfkit-dump-c-cli-");

/** The raw .BTF section of a committed fixture object. */
function fixtureBtf(object: string): Uint8Array {
  const section = parseElf(new Uint8Array(readFileSync(join(fixtureDir, object)))).sectionByName(".BTF");
  if (!section) throw new Error(`${object} has no .BTF`);
  return section.data;
}

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
    // A fixture's raw BTF cut to 100 bytes: the 24-byte header, then 76 of its type section's bytes.
    const btf = fixtureBtf("core_task.bpf.o");
    expect(btf.length).toBeGreaterThan(100);
    const file = join(dir(), "truncated.btf");
    writeFileSync(file, btf.subarray(0, 100));
    const r = runCli(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: type section 0\+\d+ past the data \(76\) \(\.BTF, offset 8\)\n$/);
  });

  it("a missing file: the system error in one line", () => {
    const r = runCli(join(dir(), "nothing-here"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Error: ENOENT: no such file or directory, open '.*nothing-here'\n$/);
  });

  it("-d adds the stack", () => {
    const r = runCli("-d", join(dir(), "nothing-here"));
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

describeWith(["bpftool"], "bundled C dump CLI = bpftool (objects)", () => {
  it("an ELF object's .BTF (core_task.bpf.o)", () => {
    const object = join(fixtureDir, "core_task.bpf.o");
    const r = runCli(object);
    expect(r.status, r.stderr).toBe(0);
    const diff = firstDifference(r.stdout, bpftoolDumpC(object));
    expect(diff, diff).toBeUndefined();
  });

  it("an object without .BTF: one Error line", () => {
    // The fixture with its .BTF section renamed in the section-name table (same length, so nothing moves; the
    // LLVM stores ".BTF" as the tail of ".rel.BTF", which is renamed with it).
    const bytes = readFileSync(join(fixtureDir, "xdp_pass.bpf.o"));
    const at = bytes.indexOf(".BTF\0");
    expect(at).toBeGreaterThan(0);
    bytes.write(".XTF\0", at);
    const object = join(dir(), "no-btf.o");
    writeFileSync(object, bytes);
    const r = runCli(object);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`Error: ${object}: no .BTF section\n`);
  });
});

describeWith(["bpftool", "vmlinux-btf"], "bundled C dump CLI = bpftool -B (split BTF)", () => {
  it("a fixture's types rebased on vmlinux, -B /sys/kernel/btf/vmlinux", () => {
    const base = Btf.parse(new Uint8Array(readFileSync(VMLINUX)));
    const split = join(dir(), "split.btf");
    writeFileSync(split, rebaseRawBtf(fixtureBtf("core_task.bpf.o"), base.typeCount, base.strings.end));
    const r = runCli("-B", VMLINUX, split);
    expect(r.status, r.stderr).toBe(0);
    const bpftool = spawnSync("bpftool", ["-B", VMLINUX, "btf", "dump", "file", split, "format", "c"], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(bpftool.status, bpftool.stderr).toBe(0);
    const theirs = bpftool.stdout;
    expect(theirs.length).toBeGreaterThan(1_000_000);
    const diff = firstDifference(r.stdout, theirs);
    expect(diff, diff).toBeUndefined();
  });
});
