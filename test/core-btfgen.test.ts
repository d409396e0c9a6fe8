// gen min_core_btf (BTFGen) vs `bpftool gen min_core_btf`, and the property that matters: relocating against the
// minimal BTF gives the same instructions as against the full kernel BTF.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { Btf } from "../packages/btf/src/btf.js";
import { btfNameIndex, CoreRelocationError, minimizeCoreBtf, relocateCore } from "../packages/btf/src/core/index.js";
import {
  compileFixture,
  customTargets,
  fixturesDir,
  readObject,
  scratchDir,
  vmlinuxBtf,
  vmlinuxTargets,
} from "./core-support.js";
import { describeWith } from "./support/env.js";

const OBJECTS = ["core_task.bpf.o", "core_kernel.bpf.o", "core_subprogs.bpf.o"];

/** Kind and name of every type, in id order, as bpftool prints them. */
function kindsAndNames(path: string): string[] {
  const dump = JSON.parse(execFileSync("bpftool", ["-j", "btf", "dump", "file", path], { encoding: "utf8" })) as {
    types: { kind: string; name: string }[];
  };
  return dump.types.map((t) => `${t.kind} ${t.name}`);
}

describeWith(["bpftool", "vmlinux-btf"], "gen min_core_btf", () => {
  it("is byte-identical to bpftool gen min_core_btf for the kernel CO-RE fixtures", () => {
    const vmlinux = vmlinuxBtf();
    const inputs = OBJECTS.map((name) => {
      const object = readObject(join(fixturesDir, name));
      return { name, btf: object.btf, sections: object.coreSections };
    });
    const ours = minimizeCoreBtf(vmlinux, inputs, btfNameIndex(vmlinux));
    const theirsPath = join(scratchDir(), "min.btf");
    execFileSync("bpftool", [
      "gen",
      "min_core_btf",
      "/sys/kernel/btf/vmlinux",
      theirsPath,
      ...OBJECTS.map((o) => join(fixturesDir, o)),
    ]);
    const theirs = new Uint8Array(readFileSync(theirsPath));
    const oursPath = join(scratchDir(), "ours.btf");
    writeFileSync(oursPath, ours);
    expect(kindsAndNames(oursPath)).toEqual(kindsAndNames(theirsPath));
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it("relocating against the minimal BTF gives the instructions of the full BTF (type ids aside)", () => {
    for (const name of OBJECTS) {
      const object = readObject(join(fixturesDir, name));
      const minimal = minimizeCoreBtf(vmlinuxBtf(), [{ name, btf: object.btf, sections: object.coreSections }]);
      expect(minimal.length).toBeLessThan(20_000);
      const options = { localBtf: object.btf, sections: object.coreSections, programs: object.programs };
      const full = relocateCore({ ...options, targets: vmlinuxTargets() });
      const small = relocateCore({ ...options, targets: customTargets(minimal) });
      expect(small.relocations.map((r) => r.poisoned)).toEqual(full.relocations.map((r) => r.poisoned));
      // TYPE_ID_TARGET necessarily differs (ids of the minimal BTF); everything else must match bit for bit.
      const typeIdSlots = new Set(
        full.relocations.filter((r) => r.kindName === "target_type_id").map((r) => `${r.program}:${r.insnIndex}`),
      );
      full.insns.forEach((bytes, p) => {
        for (let i = 0; i < bytes.length / 8; i++) {
          const key = `${object.programs[p]!.name}:${i}`;
          if (typeIdSlots.has(key)) {
            i++;
            continue;
          }
          expect(Buffer.from(small.insns[p]!.subarray(i * 8, i * 8 + 8)).toString("hex"), key).toBe(
            Buffer.from(bytes.subarray(i * 8, i * 8 + 8)).toString("hex"),
          );
        }
      });
      // The minimal BTF is itself valid input for our reader.
      expect(Btf.parse(minimal).typeCount).toBeGreaterThan(1);
    }
  });
});

describeWith(["bpftool", "clang"], "gen min_core_btf on a non-kernel target", () => {
  // Each fixture has one relocation its -DTARGET twin cannot satisfy: ours throws for that relocation, and bpftool
  // refuses for the same one (libbpf's line for it, then bpftool's own error) and writes no output.
  const refusals = [
    {
      source: "core_flavors.bpf.c",
      code: "AMBIGUOUS",
      insnIndex: 61,
      reason: "field offset ambiguity: 32 != 0",
      libbpf: "libbpf: prog 'raw_tp/sys_enter': relo #4: field offset ambiguity: 32 != 0",
    },
    {
      source: "core_layouts.bpf.c",
      code: "OUT_OF_RANGE",
      insnIndex: 230,
      reason: "relo 0 at insn #230 can't be satisfied for bitfield",
      libbpf: "libbpf: prog 'raw_tp/sys_enter': relo 0 at insn #230 can't be satisfied for bitfield",
    },
  ];

  it("fails like bpftool when a relocation cannot be resolved (ambiguous flavors, 60-bit straddling bitfield)", () => {
    for (const { source, code, insnIndex, reason, libbpf } of refusals) {
      const objectPath = join(fixturesDir, source.replace(/\.c$/, ".o"));
      const targetPath = compileFixture(source, ["TARGET"]);
      const target = readObject(targetPath).btf;
      const object = readObject(objectPath);
      let error: unknown;
      try {
        minimizeCoreBtf(target, [{ name: source, btf: object.btf, sections: object.coreSections }]);
      } catch (e) {
        error = e;
      }
      expect(error, source).toBeInstanceOf(CoreRelocationError);
      expect({
        code: (error as CoreRelocationError).code,
        insnIndex: (error as CoreRelocationError).insnIndex,
      }).toEqual({ code, insnIndex });
      expect((error as CoreRelocationError).message).toContain(reason);
      const outPath = join(scratchDir(), `refused-${source}.btf`);
      const run = spawnSync("bpftool", ["gen", "min_core_btf", targetPath, outPath, objectPath], { encoding: "utf8" });
      if (run.error) throw run.error;
      expect(run.status, `${source}: bpftool exit status`).not.toBe(0);
      expect(run.signal, source).toBeNull();
      expect(run.stderr.split("\n"), source).toEqual([
        libbpf,
        `Error: error recording relocations for ${objectPath}: Protocol error`,
        "",
      ]);
      expect(existsSync(outPath), `${source}: bpftool wrote ${outPath}`).toBe(false);
    }
  });
});

describeWith(["bpftool", "clang"], "gen min_core_btf on a -DTARGET twin", () => {
  it("is byte-identical to bpftool for the TYPE_MATCHES fixture (whole member trees, fwd behind pointers)", () => {
    const objectPath = join(fixturesDir, "core_matches.bpf.o");
    const targetPath = compileFixture("core_matches.bpf.c", ["TARGET"]);
    const object = readObject(objectPath);
    const ours = minimizeCoreBtf(readObject(targetPath).btf, [
      { name: "core_matches", btf: object.btf, sections: object.coreSections },
    ]);
    const theirsPath = join(scratchDir(), "matches-min.btf");
    execFileSync("bpftool", ["gen", "min_core_btf", targetPath, theirsPath, objectPath]);
    expect(Buffer.from(ours).equals(readFileSync(theirsPath))).toBe(true);
  });
});
