// The C dumper against the real bpftool 7.1 (libbpf 1.1): every committed fixture object, the running kernel's
// vmlinux BTF, and our own C cases (compiled for both byte orders, plus a linked pair with clashing names).
// Each comparison is byte for byte; a mismatch reports the first differing lines.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { expect, it } from "vitest";
import { CHUNK_SIZE, dumpBtfC, dumpBtfCBytes, dumpBtfCChunks, dumpBtfCTo } from "../packages/btf/src/dump-c/index.js";
import { oddShapesBtf, rebaseRawBtf } from "./btf-dump-c-raw.js";
import { bpftoolDumpC, btfOfFile, compileBpf, firstDifference, fixtureDir, ourDumpC } from "./btf-dump-c-support.js";
import { describeWith, useTempDir } from "./support/env.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const here = fileURLToPath(new URL(".", import.meta.url));
// The committed objects (no tool needed to list them), one test each.
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".o"))
  .sort();

function expectSameAsBpftool(path: string): void {
  const theirs = bpftoolDumpC(path);
  const ours = ourDumpC(path);
  const diff = firstDifference(ours, theirs);
  expect(diff, `${path}: ${diff}`).toBeUndefined();
}

describeWith(["bpftool"], "C dump = bpftool btf dump format c (fixtures)", () => {
  it("covers every committed object", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });
  for (const object of fixtures) {
    it(object, () => expectSameAsBpftool(join(fixtureDir, object)));
  }
});

describeWith(["bpftool", "vmlinux-btf"], "C dump = bpftool btf dump format c (vmlinux)", () => {
  it("/sys/kernel/btf/vmlinux", () => {
    const theirs = bpftoolDumpC(VMLINUX);
    expect(theirs.split("\n").length).toBeGreaterThan(10_000);
    const ours = ourDumpC(VMLINUX);
    const diff = firstDifference(ours, theirs);
    expect(diff, diff).toBeUndefined();
  });

  const dir = useTempDir("bpfkit-dump-c-split-");

  it("split BTF on vmlinux (a fixture's types rebased as a module would be), bpftool -B", () => {
    const base = Btf.parse(new Uint8Array(readFileSync(VMLINUX)));
    const section = parseElf(new Uint8Array(readFileSync(join(fixtureDir, "core_task.bpf.o")))).sectionByName(".BTF");
    if (!section) throw new Error("core_task.bpf.o has no .BTF");
    const split = rebaseRawBtf(section.data, base.typeCount, base.strings.end);
    const file = join(dir(), "split.btf");
    writeFileSync(file, split);
    const theirs = execFileSync("bpftool", ["-B", VMLINUX, "btf", "dump", "file", file, "format", "c"], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const ours = dumpBtfC(Btf.parse(split, { base }));
    expect(ours.length).toBeGreaterThan(bpftoolDumpC(VMLINUX).length);
    const diff = firstDifference(ours, theirs);
    expect(diff, diff).toBeUndefined();
  });

  it("streams the same bytes in chunks of at least 64 KiB", () => {
    const btf = btfOfFile(VMLINUX);
    const whole = dumpBtfCBytes(btf);
    const chunks = [...dumpBtfCChunks(btf)];
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(CHUNK_SIZE);
    expect(Buffer.concat(chunks).equals(Buffer.from(whole))).toBe(true);
    const pushed: Buffer[] = [];
    dumpBtfCTo(btf, (bytes) => {
      expect(bytes.length).toBeGreaterThan(0);
      pushed.push(Buffer.from(bytes)); // a view of a reused buffer: copy it
    });
    expect(pushed.slice(0, -1).every((p) => p.length >= CHUNK_SIZE)).toBe(true);
    expect(Buffer.concat(pushed).equals(Buffer.from(whole))).toBe(true);
  });
});

describeWith(["bpftool", "clang"], "C dump = bpftool btf dump format c (own C cases)", () => {
  const dir = useTempDir("bpfkit-dump-c-");

  for (const target of ["bpfel", "bpfeb"] as const) {
    it(`btf-dump-c-cases.bpf.c (${target})`, () => {
      const object = join(dir(), `cases.${target}.o`);
      compileBpf(join(here, "btf-dump-c-cases.bpf.c"), object, target);
      expectSameAsBpftool(object);
    });
  }

  it("renames clashing names (two units linked with bpftool gen object)", () => {
    const objects = [1, 2].map((n) => {
      const object = join(dir(), `dup${n}.o`);
      compileBpf(join(here, `btf-dump-c-dup${n}.bpf.c`), object, "bpfel");
      return object;
    });
    const linked = join(dir(), "dup.o");
    execFileSync("bpftool", ["gen", "object", linked, ...objects], { stdio: "ignore" });
    const ours = ourDumpC(linked);
    expect(ours).toContain("struct clash___2 {");
    expect(ours).toContain("RED___2 = 10,");
    expectSameAsBpftool(linked);
  });
});

describeWith(["bpftool"], "C dump = bpftool btf dump format c (hand-made raw BTF)", () => {
  const dir = useTempDir("bpfkit-dump-c-raw-");

  it("odd shapes from other compilers and vmlinux", () => {
    const file = join(dir(), "odd.btf");
    writeFileSync(file, oddShapesBtf());
    const ours = ourDumpC(file);
    expect(ours).toContain("typedef __builtin_va_list __gnuc_va_list;");
    expect(ours).toContain("struct twin___2 {");
    expectSameAsBpftool(file);
  });
});
