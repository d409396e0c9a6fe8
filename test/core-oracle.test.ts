// CO-RE engine vs the reference: libbpf 1.1's debug log from `bpftool -d prog loadall` (vmlinux target) and the
// final instructions libbpf produces (C harness over -lbpf, vmlinux and btf_custom_path targets from -DTARGET twins).
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  CoreRelocationError,
  type CoreTargets,
  fixupVerifierLog,
  type RelocateCoreResult,
  relocateCore,
} from "../packages/btf/src/core/index.js";
import {
  bpftoolCoreLog,
  compileFixture,
  coreLines,
  customTargets,
  fixturesDir,
  readObject,
  scratchDir,
  type TestObject,
  vmlinuxTargets,
} from "./core-support.js";
import { describeWith, usePinRoot } from "./support/env.js";

/** libbpf lines that report a failure: we throw a CoreRelocationError instead of logging them. */
const LIBBPF_ERROR_LINE = /ambiguity|failed to relocate|can't be satisfied|failed to perform/;

function relocate(object: TestObject, targets: CoreTargets, only?: string) {
  const trace: string[] = [];
  try {
    const result = relocateCore({
      localBtf: object.btf,
      sections: object.coreSections,
      // libbpf's set_autoload only reaches entry programs: .text subprograms are always relocated.
      programs: object.programs.map((p) => ({
        ...p,
        autoload: only === undefined || p.name === only || p.section === ".text",
      })),
      targets,
      onTrace: (line) => trace.push(line),
    });
    return { result, trace, error: undefined };
  } catch (error) {
    if (!(error instanceof CoreRelocationError)) throw error;
    return { result: undefined, trace, error };
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/**
 * Our CO-RE-relocated program vs libbpf's final one: every instruction must be identical except the ld_imm64 of map
 * references (libbpf has put map fds there; CO-RE leaves them alone) and anything libbpf appended after the program.
 */
function expectSameInstructions(ours: Uint8Array, theirsHex: string, program: string): void {
  const theirs = Buffer.from(theirsHex, "hex");
  expect(theirs.length, `${program}: libbpf program shorter than ours`).toBeGreaterThanOrEqual(ours.length);
  for (let i = 0; i < ours.length / 8; i++) {
    const a = ours.subarray(i * 8, i * 8 + 8);
    const b = theirs.subarray(i * 8, i * 8 + 8);
    if (hex(a) === hex(b)) continue;
    if (a[0] === 0x18 && b[0] === 0x18 && b[1]! >> 4 !== 0 && a[1]! >> 4 === 0) {
      i++; // map reference: libbpf's pseudo src_reg + fd in both slots
      continue;
    }
    if (isSubprogCall(a) && isSubprogCall(b)) continue; // call offset: set when libbpf appends the subprogram
    expect(`insn #${i}: ${hex(a)}`, `${program}: instruction differs from libbpf`).toBe(`insn #${i}: ${hex(b)}`);
  }
}

/** bpf-to-bpf call (BPF_PSEUDO_CALL): its offset is fixed by the loader when it appends subprograms. */
function isSubprogCall(slot: Uint8Array): boolean {
  return slot[0] === 0x85 && slot[1]! >> 4 === 1;
}

/** Instruction stream as hex with subprogram-call offsets zeroed. */
function maskedHex(bytes: Uint8Array): string {
  const copy = bytes.slice();
  for (let i = 0; i + 8 <= copy.length; i += 8) if (isSubprogCall(copy.subarray(i, i + 8))) copy.fill(0, i + 4, i + 8);
  return hex(copy);
}

/**
 * libbpf appended the .text subprograms the program calls: every one found in its code must be exactly our relocated
 * copy (slot-aligned), and at least one must be found. Returns the names found.
 */
function expectSubprogramsAppended(
  object: TestObject,
  insns: Uint8Array[],
  theirsHex: string,
  program: string,
): string[] {
  const theirs = maskedHex(Buffer.from(theirsHex, "hex"));
  const found: string[] = [];
  object.programs.forEach((p, index) => {
    if (p.section !== ".text") return;
    const at = theirs.indexOf(maskedHex(insns[index]!));
    if (at < 0) return;
    expect(at % 16, `${program}: ${p.name} misaligned`).toBe(0);
    found.push(p.name);
  });
  expect(found.length, `${program}: none of our relocated subprograms is in libbpf's program`).toBeGreaterThan(0);
  return found;
}

const KERNEL_FIXTURES = ["core_task.bpf.o", "core_kernel.bpf.o", "core_subprogs.bpf.o"];

describeWith(
  ["bpftool", "root", "bpffs", "vmlinux-btf"],
  "CO-RE trace vs libbpf debug log (bpftool -d prog loadall)",
  () => {
    const pinRoot = usePinRoot();
    for (const fixture of KERNEL_FIXTURES) {
      it(`${fixture}: every CO-RE line libbpf prints, in order`, () => {
        const path = join(fixturesDir, fixture);
        const object = readObject(path);
        const ours = relocate(object, vmlinuxTargets());
        expect(ours.error).toBeUndefined();
        const theirs = bpftoolCoreLog(path, join(pinRoot(), "loadall"));
        expect(theirs.lines.length).toBeGreaterThan(20);
        expect(ours.trace).toEqual(theirs.lines);
        // Poisoned relocations are reported as such, with old/new values for the others.
        const relocations = ours.result!.relocations;
        expect(relocations.length).toBe(theirs.lines.filter((l) => /: relo #\d+: <.*/.test(l)).length);
        for (const r of relocations) expect(r.poisoned).toBe(r.newValue === undefined);
      });
    }
  },
);

describeWith(["libbpf-dev", "root", "vmlinux-btf", "clang"], "CO-RE instructions vs libbpf 1.1 (C harness)", () => {
  let harness = "";
  beforeAll(() => {
    harness = join(scratchDir(), "core_harness");
    execFileSync("cc", ["-O2", join(fixturesDir, "../../bench/c/core_harness.c"), "-lbpf", "-o", harness]);
  });

  function libbpf(object: string, target: string, program: string) {
    const run = spawnSync(harness, ["insns", object, target, program], { encoding: "utf8" });
    const json = JSON.parse(run.stdout) as { ok: boolean; err: number; programs: { name: string; insns: string }[] };
    return { ...json, lines: coreLines(run.stderr), log: run.stderr };
  }

  function compareProgram(
    objectPath: string,
    object: TestObject,
    targets: CoreTargets,
    targetArg: string,
    program: string,
  ) {
    const ours = relocate(object, targets, program);
    const theirs = libbpf(objectPath, targetArg, program);
    const theirLines = theirs.lines.filter((l) => !LIBBPF_ERROR_LINE.test(l));
    expect(ours.trace).toEqual(theirLines);
    if (ours.error) {
      // Relocation-time failure: libbpf must fail the same way, before loading.
      expect(theirs.ok).toBe(false);
      expect(theirs.log).toMatch(/failed to perform CO-RE relocations/);
      expect(program.startsWith("err_"), `${program}: unexpected ${ours.error.message}`).toBe(true);
      expect(ours.error.program).toBe(program);
      expect(ours.error.insnIndex).toBeTypeOf("number");
      return { ours, theirs };
    }
    const index = object.programs.findIndex((p) => p.name === program);
    const theirProgram = theirs.programs.find((p) => p.name === program);
    expect(theirProgram).toBeDefined();
    expectSameInstructions(ours.result!.insns[index]!, theirProgram!.insns, program);
    // libbpf appends the called .text subprograms after the program (ours has them separately).
    const appended =
      theirProgram!.insns.length > ours.result!.insns[index]!.length * 2
        ? expectSubprogramsAppended(object, ours.result!.insns, theirProgram!.insns, program).sort()
        : [];
    expect(theirs.ok, `${program}: libbpf load ${theirs.ok ? "succeeded" : "failed"}`).toBe(
      !program.startsWith("err_"),
    );
    return { ours, theirs, appended };
  }

  /** Entry programs of each fixture (from its source), and the .text subprograms libbpf appends to each. */
  const KERNEL_ENTRIES: Record<string, Record<string, string[]>> = {
    "core_task.bpf.o": { core_task: [] },
    "core_kernel.bpf.o": { kernel_types: [], skb_fields: [], err_memsz: [] },
    "core_subprogs.bpf.o": { sub_one: ["global_parent_pid", "static_tgid"], sub_two: ["static_tgid"] },
  };

  for (const fixture of KERNEL_FIXTURES) {
    it(`${fixture} against vmlinux: same instructions per program`, () => {
      const path = join(fixturesDir, fixture);
      const object = readObject(path);
      const entries = object.programs.filter((p) => p.section !== ".text").map((p) => p.name);
      const expected = KERNEL_ENTRIES[fixture]!;
      expect(entries, `${fixture}: entry programs`).toEqual(Object.keys(expected));
      for (const program of entries) {
        const { appended } = compareProgram(path, object, vmlinuxTargets(), "-", program);
        expect(appended, `${program}: subprograms libbpf appended`).toEqual(expected[program]);
      }
    });
  }

  for (const source of ["core_layouts.bpf.c", "core_flavors.bpf.c", "core_matches.bpf.c"]) {
    it(`${source} against its -DTARGET twin (btf_custom_path): same instructions, err_* fail`, () => {
      const path = join(fixturesDir, source.replace(/\.c$/, ".o"));
      const targetPath = compileFixture(source, ["TARGET"]);
      const object = readObject(path);
      const targets = customTargets(readObject(targetPath).sections.get(".BTF")!);
      let errors = 0;
      // Each source has at least two entry programs (flavors and matches: two; layouts: six).
      expect(object.programs.length, `${source}: programs`).toBeGreaterThanOrEqual(2);
      for (const program of object.programs) {
        const { ours } = compareProgram(path, object, targets, targetPath, program.name);
        if (program.name.startsWith("err_")) errors++;
        if (ours.error?.code === "AMBIGUOUS")
          expect(ours.error.message).toMatch(/flv___one.*flv___two|flv___two.*flv___one/);
      }
      if (source === "core_matches.bpf.c") {
        // Non-trivial: some types match / are compatible and some do not.
        const all = relocate(object, targets).result!.relocations;
        const values = new Set(all.filter((r) => r.kindName === "type_matches").map((r) => r.newValue));
        expect([...values].sort()).toEqual([0n, 1n]);
      } else {
        expect(errors).toBeGreaterThan(0);
      }
    });
  }

  it("the committed fixture objects are what their sources compile to", () => {
    for (const source of [
      "core_kernel.bpf.c",
      "core_layouts.bpf.c",
      "core_flavors.bpf.c",
      "core_subprogs.bpf.c",
      "core_matches.bpf.c",
    ]) {
      const fresh = readObject(compileFixture(source));
      const committed = readObject(join(fixturesDir, source.replace(/\.c$/, ".o")));
      expect(hex(fresh.sections.get(".BTF.ext")!)).toBe(hex(committed.sections.get(".BTF.ext")!));
    }
  });

  it("a reached poisoned relocation: the raw kernel log, rewritten, equals libbpf's rewritten log", () => {
    const path = join(fixturesDir, "core_kernel.bpf.o");
    const object = readObject(path);
    const ours = relocate(object, vmlinuxTargets(), "err_memsz");
    const index = object.programs.findIndex((p) => p.name === "err_memsz");
    const hexFile = join(scratchDir(), "err_memsz.hex");
    writeFileSync(hexFile, hex(ours.result!.insns[index]!));
    const run = spawnSync(harness, ["verify", "tc", hexFile], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe("-22");
    const raw = run.stderr;
    expect(raw).toMatch(/call unknown#195896080\ninvalid func unknown#195896080\n/);
    const relocations = ours
      .result!.relocations.filter((r) => r.program === "err_memsz")
      .map((r) => ({ insnIndex: r.insnIndex, localSpec: r.localSpec }));
    const fixed = fixupVerifierLog(raw, { relocations });
    const theirs = libbpf(path, "-", "err_memsz").log;
    const theirLog = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)-- END PROG LOAD LOG --/.exec(theirs)![1]!;
    // libbpf loads with line info (source lines interleaved as "; ..."); the raw load has none. Timing varies.
    const mask = (log: string) =>
      log
        .replace(/verification time \d+ usec/, "verification time N usec")
        .split("\n")
        .filter((line) => !line.startsWith("; "))
        .join("\n");
    expect(mask(fixed)).toBe(mask(theirLog));
    expect(fixed).toContain("failed to resolve CO-RE relocation <byte_off> [");
    expect(fixed).not.toContain("unknown#195896080");
  });
});

export type { RelocateCoreResult };
