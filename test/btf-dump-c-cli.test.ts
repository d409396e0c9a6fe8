// The one-shot C dump as it ships: `bpftool btf dump file FILE format c` run through the installed bin
// (node_modules/.bin/bpftool, its node flags from the bin's `#!` line), which takes the fast path of
// packages/bpftool/src/commands/btf/dump-fast.ts for exactly that command line. Its output must be bpftool's
// byte for byte, with every engine, for raw BTF, an ELF object's .BTF and split BTF on a base (-B); bad input must
// give bpftool's error line and exit status (the full command reports it), the stack only with -d.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { rebaseRawBtf } from "./btf-dump-c-raw.js";
import { bpftoolDumpC, firstDifference, fixtureDir } from "./btf-dump-c-support.js";
import { BPFTOOL_BIN, oursProcess, type Run, theirs } from "./support/bpftool.js";
import { describeWith, useTempDir } from "./support/env.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const BIN_SOURCE = fileURLToPath(new URL("../packages/bpftool/bin/bpftool.cjs", import.meta.url));
const dir = useTempDir("bpfkit-dump-c-cli-");

/** The raw .BTF section of a committed fixture object. */
function fixtureBtf(object: string): Uint8Array {
  const section = parseElf(new Uint8Array(readFileSync(join(fixtureDir, object)))).sectionByName(".BTF");
  if (!section) throw new Error(`${object} has no .BTF`);
  return section.data;
}

/** `bpftool [-B BASE] btf dump file FILE format c` through our bin, with BPFKIT_BTF_ENGINE when given. */
function dumpC(file: string, options: { base?: string; engine?: "js" | "wasm" } = {}): Run {
  const args = [...(options.base ? ["-B", options.base] : []), "btf", "dump", "file", file, "format", "c"];
  const saved = process.env.BPFKIT_BTF_ENGINE;
  if (options.engine) process.env.BPFKIT_BTF_ENGINE = options.engine;
  try {
    return oursProcess(args);
  } finally {
    if (saved === undefined) delete process.env.BPFKIT_BTF_ENGINE;
    else process.env.BPFKIT_BTF_ENGINE = saved;
  }
}

function theirsDumpC(file: string): Run {
  return theirs(["btf", "dump", "file", file, "format", "c"]);
}

describe("bundled C dump CLI", () => {
  it("runs node with the bin's flags", () => {
    const first = readFileSync(BIN_SOURCE, "utf8").split("\n", 1)[0] ?? "";
    expect(first).toMatch(/^#!\/usr\/bin\/env -S node --\S/);
    const flags = first.replace(/^#!.*?\bnode\b/, "").trim();
    // pnpm's shim in node_modules/.bin carries them over.
    expect(readFileSync(BPFTOOL_BIN, "utf8")).toContain(flags);
  });

  it("a missing file: bpftool's line, without a stack; -d adds the stack", () => {
    const missing = join(dir(), "nothing-here");
    const r = dumpC(missing);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 254,
      stdout: "",
      stderr: `Error: failed to load BTF from ${missing}: No such file or directory\n`,
    });
    const d = oursProcess(["-d", "btf", "dump", "file", missing, "format", "c"]);
    expect(d.status).toBe(254);
    expect(d.stderr).toMatch(/\n {4}at /);
  });
});

describeWith(["bpftool"], "bundled C dump CLI = bpftool (errors)", () => {
  it("truncated BTF: bpftool's line and status, nothing on stdout", () => {
    // A fixture's raw BTF cut to 100 bytes: the 24-byte header, then 76 of its type section's bytes.
    const btf = fixtureBtf("core_task.bpf.o");
    expect(btf.length).toBeGreaterThan(100);
    const file = join(dir(), "truncated.btf");
    writeFileSync(file, btf.subarray(0, 100));
    const r = dumpC(file);
    expect(r).toEqual(theirsDumpC(file));
    expect(r.status).toBe(234);
    expect(r.stderr).toBe(`Error: failed to load BTF from ${file}: Invalid argument\n`);
  });

  it("an object without .BTF, a directory, an empty file: as bpftool", () => {
    // The fixture with its .BTF section renamed in the section-name table (same length, so nothing moves; the
    // LLVM stores ".BTF" as the tail of ".rel.BTF", which is renamed with it).
    const bytes = readFileSync(join(fixtureDir, "xdp_pass.bpf.o"));
    const at = bytes.indexOf(".BTF\0");
    expect(at).toBeGreaterThan(0);
    bytes.write(".XTF\0", at);
    const object = join(dir(), "no-btf.o");
    writeFileSync(object, bytes);
    const empty = join(dir(), "empty");
    writeFileSync(empty, "");
    for (const file of [object, dir(), empty]) {
      const r = dumpC(file);
      expect(r, file).toEqual(theirsDumpC(file));
      expect(r.status, file).not.toBe(0);
    }
  });
});

describeWith(["bpftool", "vmlinux-btf"], "bundled C dump CLI = bpftool (vmlinux)", () => {
  let reference: string | undefined;
  for (const engine of ["js", "wasm"] as const) {
    it(`BPFKIT_BTF_ENGINE=${engine}`, () => {
      const r = dumpC(VMLINUX, { engine });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      reference ??= bpftoolDumpC(VMLINUX);
      const diff = firstDifference(r.stdout, reference);
      expect(diff, diff).toBeUndefined();
    });
  }
});

describeWith(["bpftool"], "bundled C dump CLI = bpftool (objects)", () => {
  it("an ELF object's .BTF (core_task.bpf.o)", () => {
    const object = join(fixtureDir, "core_task.bpf.o");
    const r = dumpC(object);
    expect(r.status, r.stderr).toBe(0);
    const diff = firstDifference(r.stdout, bpftoolDumpC(object));
    expect(diff, diff).toBeUndefined();
  });
});

describeWith(["bpftool", "vmlinux-btf"], "bundled C dump CLI = bpftool -B (split BTF)", () => {
  it("a fixture's types rebased on vmlinux, -B /sys/kernel/btf/vmlinux", () => {
    const base = Btf.parse(new Uint8Array(readFileSync(VMLINUX)));
    const split = join(dir(), "split.btf");
    writeFileSync(split, rebaseRawBtf(fixtureBtf("core_task.bpf.o"), base.typeCount, base.strings.end));
    const r = dumpC(split, { base: VMLINUX });
    expect(r.status, r.stderr).toBe(0);
    const reference = theirs(["-B", VMLINUX, "btf", "dump", "file", split, "format", "c"]);
    expect(reference.status, reference.stderr).toBe(0);
    expect(reference.stdout.length).toBeGreaterThan(1_000_000);
    const diff = firstDifference(r.stdout, reference.stdout);
    expect(diff, diff).toBeUndefined();
  });
});

// `-j btf dump file FILE` has the same kind of fast path (commands/btf/dump-fast.ts): the bin's bytes and status
// are bpftool's, and what it cannot do before its first byte the full command reports.
describeWith(["bpftool", "vmlinux-btf"], "bin: -j btf dump file = bpftool", () => {
  it("vmlinux, an object's .BTF, and a missing file", () => {
    const missing = join(dir(), "not-there");
    for (const file of [VMLINUX, join(fixtureDir, "core_task.bpf.o"), missing]) {
      const args = ["-j", "btf", "dump", "file", file];
      const [ours, reference] = [oursProcess(args), theirs(args)];
      expect(ours.status, `${file}: ${ours.stderr}`).toBe(reference.status);
      const diff = firstDifference(ours.stdout, reference.stdout);
      expect(diff, `${file}: ${diff}`).toBeUndefined();
    }
  });
});
