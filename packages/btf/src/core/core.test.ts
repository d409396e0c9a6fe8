// Unit tests of the CO-RE engine that need no kernel: names, access strings, typed errors for bad input, raw-byte
// patching in both byte orders, poisoning, verifier-log rewriting, and a fuzz run over corrupted objects.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import { btfNameIndex } from "./btf-adapter.js";
import { parseCoreRelos } from "./btf-ext-core.js";
import { essentialName, essentialNameLength } from "./btf-view.js";
import type { CoreReloResult } from "./calc.js";
import { coreTarget } from "./candidates.js";
import { describeRelocation } from "./describe.js";
import { CoreFailure, CoreRelocationError } from "./errors.js";
import { CORE_POISON_IMM, InsnSlots, patchInstruction } from "./patch.js";
import { CoreReloKind } from "./relo-kinds.js";
import { type CoreProgram, type CoreReloSection, relocateCore } from "./relocate.js";
import { parseAccessString } from "./spec.js";
import { findFailedCoreRelocation, fixupVerifierLog } from "./verifier-log.js";

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url)));

/** Sections and functions of a little ELF64 object (enough for these tests). */
function sectionsOf(bytes: Uint8Array): { sections: Map<string, Uint8Array>; programs: CoreProgram[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const count = view.getUint16(0x3c, true);
  const header = (i: number) => {
    const at = shoff + i * 64;
    return {
      name: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
    };
  };
  const names = header(view.getUint16(0x3e, true));
  const text = (off: number) => {
    const start = names.offset + off;
    return new TextDecoder().decode(bytes.subarray(start, bytes.indexOf(0, start)));
  };
  const sections = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const h = header(i);
    sections.set(text(h.name), bytes.subarray(h.offset, h.offset + h.size));
  }
  const programs = [
    { name: "core_task", section: "raw_tp/sys_enter", sectionInsnOffset: 0, insns: sections.get("raw_tp/sys_enter")! },
  ];
  return { sections, programs };
}

function coreTask() {
  const { sections, programs } = sectionsOf(fixture("core_task.bpf.o"));
  const btf = Btf.parse(sections.get(".BTF")!);
  const relos = parseCoreRelos(sections.get(".BTF.ext")!, btf);
  // Relocating an object against its own BTF needs no kernel and exercises every path. Only exact names are
  // candidates, or the local flavor types would be candidates for themselves (and ambiguous with the originals).
  const index = btfNameIndex(btf);
  const exactNames = {
    idsWithEssentialName: (name: string, kind: number) =>
      index.idsWithEssentialName(name, kind).filter((id) => btf.nameOf(id) === name),
  };
  const targets = { custom: coreTarget("self", btf, exactNames) };
  return { btf, relos, programs, targets };
}

function expectCoreError(run: () => unknown, code: string): CoreRelocationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CoreRelocationError);
    expect((error as CoreRelocationError).code).toBe(code);
    return error as CoreRelocationError;
  }
  throw new Error(`expected a CoreRelocationError ${code}`);
}

function withRecord(relos: CoreReloSection[], index: number, change: object): CoreReloSection[] {
  return relos.map((s) => ({ ...s, records: s.records.map((r, i) => (i === index ? { ...r, ...change } : r)) }));
}

describe("essential names", () => {
  it("strips the last ___flavor suffix only where libbpf does", () => {
    expect(essentialName("task_struct___flavor")).toBe("task_struct");
    expect(essentialName("a___b___c")).toBe("a___b");
    expect(essentialName("task_struct")).toBe("task_struct");
    expect(essentialName("___x")).toBe("___x");
    expect(essentialName("a____b")).toBe("a____b");
    expect(essentialName("x___")).toBe("x___");
    expect(essentialNameLength("s___1")).toBe(1);
  });
});

describe("access strings", () => {
  it("parses index lists and rejects everything else with a typed failure", () => {
    expect(parseAccessString("0:1:22")).toEqual([0, 1, 22]);
    for (const bad of ["", ":0", "0:", "a", "0::1", "-1", "0:1 ", "99999999999", Array(65).fill("0").join(":")]) {
      expect(() => parseAccessString(bad), bad).toThrow(CoreFailure);
    }
  });
});

describe("relocateCore on core_task against its own BTF", () => {
  it("applies all relocations and reports each with specs and values", () => {
    const { btf, relos, programs, targets } = coreTask();
    const result = relocateCore({ localBtf: btf, sections: relos, programs, targets });
    expect(result.relocations).toHaveLength(relos[0]!.records.length);
    const byKind = new Map(result.relocations.map((r) => [r.kindName, r]));
    expect(byKind.get("local_type_id")!.newValue).toBe(byKind.get("local_type_id")!.oldValue);
    const first = result.relocations[0]!;
    expect(first.localSpec).toMatch(/^<byte_off> \[\d+\] struct task_struct\.pid \(0:\d+ @ offset \d+\)$/);
    expect(first.targetSpec).toBe(first.localSpec);
    expect(first.oldValue).toBe(first.newValue);
    const missing = result.relocations.find(
      (r) => r.localSpec.includes("field_that_does_not_exist") && r.kindName === "byte_off",
    )!;
    expect(missing.poisoned).toBe(true);
    expect(missing.targetSpec).toBeUndefined();
    expect(describeRelocation(first)).toMatch(
      /^core_task relo #0 insn #\d+ byte_off: \[\d+\] struct task_struct\.pid \(0:\d+ @ offset (\d+)\) => \[\d+\] struct task_struct\.pid .* in self: (\d+) -> \2$/,
    );
    expect(describeRelocation(missing)).toMatch(/field_that_does_not_exist .*=> no match: poisoned$/);
    // The input is never modified.
    expect(result.insns[0]).not.toBe(programs[0]!.insns);
  });

  it("rejects a record whose instruction offset is not a multiple of 8", () => {
    const { btf, relos, programs, targets } = coreTask();
    const error = expectCoreError(
      () => relocateCore({ localBtf: btf, sections: withRecord(relos, 0, { insnOff: 12 }), programs, targets }),
      "BAD_RECORD",
    );
    expect(error.section).toBe("raw_tp/sys_enter");
    expect(error.reloIndex).toBe(0);
  });

  it("rejects a record past the instruction stream, naming the instruction", () => {
    const { btf, relos, programs, targets } = coreTask();
    const error = expectCoreError(
      () =>
        relocateCore({ localBtf: btf, sections: withRecord(relos, 3, { insnOff: 8 * 100_000 }), programs, targets }),
      "BAD_RECORD",
    );
    expect(error.insnIndex).toBe(100_000);
    expect(error.reloIndex).toBe(3);
  });

  it("rejects a relocation on the wrong instruction class (exit) and names program, insn and relo", () => {
    const { btf, relos, programs, targets } = coreTask();
    const exitIndex = programs[0]!.insns.length / 8 - 1;
    const error = expectCoreError(
      () =>
        relocateCore({ localBtf: btf, sections: withRecord(relos, 2, { insnOff: exitIndex * 8 }), programs, targets }),
      "BAD_INSTRUCTION",
    );
    expect(error.program).toBe("core_task");
    expect(error.insnIndex).toBe(exitIndex);
    expect(error.reloIndex).toBe(2);
    expect(error.spec).toMatch(/^<byte_off> \[\d+\] struct task_struct\.real_parent/);
    expect(error.message).toMatch(/prog 'core_task'.*relo #2.*insn #\d+/);
  });

  it("rejects bad access strings, type ids and kinds", () => {
    const { btf, relos, programs, targets } = coreTask();
    const run = (change: object) => () =>
      relocateCore({ localBtf: btf, sections: withRecord(relos, 0, change), programs, targets });
    expect(expectCoreError(run({ accessString: "0:9999" }), "BAD_ACCESS_STRING").spec).toMatch(/\+ 0:9999/);
    expectCoreError(run({ accessString: "0:x" }), "BAD_ACCESS_STRING");
    expectCoreError(run({ accessString: undefined, accessStrOff: 1 << 30 }), "BAD_ACCESS_STRING");
    expectCoreError(run({ typeId: btf.typeCount + 5 }), "BAD_TYPE_ID");
    expectCoreError(run({ kind: 13 }), "BAD_RECORD");
    expectCoreError(run({ kind: CoreReloKind.TYPE_SIZE }), "BAD_ACCESS_STRING");
  });

  it("needs a target for anything but local type ids", () => {
    const { btf, relos, programs } = coreTask();
    expectCoreError(() => relocateCore({ localBtf: btf, sections: relos, programs }), "NO_TARGET");
    const localOnly = relos.map((s) => ({
      ...s,
      records: s.records.filter((r) => r.kind === CoreReloKind.TYPE_ID_LOCAL),
    }));
    expect(relocateCore({ localBtf: btf, sections: localOnly, programs }).relocations).toHaveLength(1);
  });

  it("validates the value clang put in the instruction", () => {
    const { btf, relos, programs, targets } = coreTask();
    const insns = programs[0]!.insns.slice();
    const slot = relos[0]!.records[0]!.insnOff / 8;
    new DataView(insns.buffer).setInt32(slot * 8 + 4, 4242, true);
    const error = expectCoreError(
      () => relocateCore({ localBtf: btf, sections: relos, programs: [{ ...programs[0]!, insns }], targets }),
      "UNEXPECTED_VALUE",
    );
    expect(error.message).toMatch(/got 4242/);
  });

  it("throws only BtfError on a corrupted .BTF (from Btf.parse) and only CoreRelocationError on a corrupted .BTF.ext", () => {
    const { sections, programs } = sectionsOf(fixture("core_task.bpf.o"));
    const ext = sections.get(".BTF.ext")!;
    const raw = sections.get(".BTF")!;
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (inBtf, edits) => {
          const btfBytes = raw.slice();
          const extBytes = ext.slice();
          const target = inBtf ? btfBytes : extBytes;
          for (const [at, value] of edits) target[at % target.length] = value;
          let btf: Btf;
          try {
            btf = Btf.parse(btfBytes);
          } catch (error) {
            if (inBtf && error instanceof BtfError) return;
            throw error;
          }
          try {
            const relos = parseCoreRelos(extBytes, btf);
            relocateCore({ localBtf: btf, sections: relos, programs, targets: { custom: coreTarget("self", btf) } });
          } catch (error) {
            if (!(error instanceof CoreRelocationError)) throw error;
          }
        },
      ),
      { seed: 4242, numRuns: 1500 },
    );
  });
});

describe("patching raw instructions", () => {
  const result = (change: Partial<CoreReloResult>): CoreReloResult => ({
    origVal: 4n,
    newVal: 1268n,
    poison: false,
    validate: true,
    failMemSizeAdjust: false,
    origSize: 0,
    origTypeId: 0,
    newSize: 0,
    newTypeId: 0,
    ...change,
  });

  for (const littleEndian of [true, false]) {
    const order = littleEndian ? "little" : "big";
    it(`patches ALU immediates, LDX offsets + sizes and ld_imm64 in ${order}-endian code`, () => {
      const bytes = new Uint8Array(8 * 4);
      const slots = new InsnSlots(bytes, littleEndian);
      slots.setCode(0, 0xb7); // r1 = 4
      slots.setRegs(0, 1, 0);
      slots.setImm(0, 4);
      slots.setCode(1, 0x69); // r2 = *(u16 *)(r1 + 4)
      slots.setRegs(1, 2, 1);
      slots.setOff(1, 4);
      slots.setCode(2, 0x18); // r3 = 4 ll
      slots.setRegs(2, 3, 0);
      slots.setImm(2, 4);
      const lines: string[] = [];
      patchInstruction(slots, 0, result({}), "", (l) => lines.push(l));
      expect(slots.imm(0)).toBe(1268);
      patchInstruction(slots, 1, result({ origSize: 2, newSize: 4, origTypeId: 1, newTypeId: 1 }), "", (l) =>
        lines.push(l),
      );
      expect([slots.off(1), slots.code(1), slots.dst(1), slots.src(1)]).toEqual([1268, 0x61, 2, 1]);
      patchInstruction(slots, 2, result({ newVal: 0x1_0000_0005n }), "", (l) => lines.push(l));
      expect([slots.imm(2), slots.imm(3)]).toEqual([5, 1]);
      expect(lines).toEqual([
        "patched insn #0 (ALU/ALU64) imm 4 -> 1268",
        "patched insn #1 (LDX/ST/STX) off 4 -> 1268",
        "patched insn #1 (LDX/ST/STX) mem_sz 2 -> 4",
        "patched insn #2 (LDIMM64) imm64 4 -> 4294967301",
      ]);
    });

    it(`poisons both slots of an ld_imm64 in ${order}-endian code`, () => {
      const bytes = new Uint8Array(16);
      const slots = new InsnSlots(bytes, littleEndian);
      slots.setCode(0, 0x18);
      patchInstruction(slots, 0, result({ poison: true }), "", () => {});
      for (const i of [0, 1]) expect([slots.code(i), slots.imm(i), slots.off(i)]).toEqual([0x85, CORE_POISON_IMM, 0]);
    });
  }

  it("refuses register-source ALU, too-large offsets and a truncated ld_imm64", () => {
    const bytes = new Uint8Array(16);
    const slots = new InsnSlots(bytes, true);
    slots.setCode(0, 0x0f); // r0 += r1
    expect(() => patchInstruction(slots, 0, result({}), "", () => {})).toThrow(/register source/);
    slots.setCode(0, 0x61);
    slots.setOff(0, 4);
    expect(() => patchInstruction(slots, 0, result({ newVal: 40000n }), "", () => {})).toThrow(/too big/);
    slots.setCode(1, 0x18);
    expect(() => patchInstruction(slots, 1, result({}), "", () => {})).toThrow(/second slot/);
  });
});

describe("verifier log", () => {
  const log = [
    "func#0 @0",
    "0: R1=ctx() R10=fp0",
    "; return skb->len > 10; @ a.c:4",
    "5: (85) call unknown#195896080",
    "invalid func unknown#195896080",
    "processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
    "",
  ].join("\n");

  it("replaces the poisoned call with the relocation that failed", () => {
    const fixed = fixupVerifierLog(log, {
      relocations: [{ insnIndex: 5, localSpec: "<byte_off> [3] struct s.x (0:1 @ offset 4)", source: "a.c:4" }],
    });
    expect(fixed).toContain(
      "5: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [3] struct s.x (0:1 @ offset 4) at a.c:4\nprocessed 1",
    );
    expect(fixed).not.toContain("195896080");
  });

  it("finds the failed relocation and the source line the verifier printed before it", () => {
    const relocations = [{ insnIndex: 5, localSpec: "<byte_off> [3] struct s.x (0:1 @ offset 4)" }];
    expect(findFailedCoreRelocation(log, relocations)).toEqual({
      relocation: relocations[0],
      source: "a.c:4",
      code: "return skb->len > 10;",
    });
    // Without line info in the log, the relocation's own source (if the loader knew it) is used.
    const bare = log.replace("; return skb->len > 10; @ a.c:4\n", "");
    expect(findFailedCoreRelocation(bare, [{ ...relocations[0]!, source: "b.c:9" }])?.source).toBe("b.c:9");
    expect(findFailedCoreRelocation("all good\n", relocations)).toBeUndefined();
  });

  it("leaves logs alone when nothing matches", () => {
    expect(fixupVerifierLog(log, { relocations: [{ insnIndex: 6, localSpec: "x" }] })).toBe(log);
    expect(fixupVerifierLog("ok\n", { relocations: [] })).toBe("ok\n");
  });

  it("names the map of a poisoned map load", () => {
    const mapLog = "3: (85) call unknown#2001000002\ninvalid func unknown#2001000002\n";
    const fixed = fixupVerifierLog(mapLog, { relocations: [], mapName: (i) => ["a", "b", "c"][i] });
    expect(fixed).toBe("3: <invalid BPF map reference>\nBPF map 'c' is referenced but wasn't created\n");
  });
});

/** Raw little-endian BTF from type words and a string section (split BTF when `base` strings precede them). */
function rawBtf(types: number[][], strings: string, leadingNul = true): Uint8Array {
  const words = types.flat();
  const str = new TextEncoder().encode(leadingNul ? `\0${strings}` : strings);
  const out = new Uint8Array(24 + words.length * 4 + str.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xeb9f, true);
  view.setUint8(2, 1);
  view.setUint32(4, 24, true);
  view.setUint32(12, words.length * 4, true);
  view.setUint32(16, words.length * 4, true);
  view.setUint32(20, str.length, true);
  words.forEach((w, i) => {
    view.setUint32(24 + i * 4, w >>> 0, true);
  });
  out.set(str, 24 + words.length * 4);
  return out;
}

const INT = (name: number) => [name, 1 << 24, 4, (1 << 24) | 32];
const STRUCT = (name: number, size: number, members: [number, number, number][]) => [
  name,
  (4 << 24) | members.length,
  size,
  ...members.flat(),
];

describe("module BTF candidates", () => {
  // Parsed in each test, not at collection time.
  const setup = () => {
    // base ("vmlinux"): [1] int. strings: "\0int\0" (offsets 0, 1; length 5)
    const base = Btf.parse(rawBtf([INT(1)], "int\0"));
    // module, split on base: [2] struct core_mod_only { int x; int c; int b; }. Own strings start at offset 5.
    const moduleStrings = "core_mod_only\0x\0c\0b\0";
    const module = Btf.parse(
      rawBtf(
        [
          STRUCT(5, 12, [
            [19, 1, 0],
            [21, 1, 32],
            [23, 1, 64],
          ]),
        ],
        moduleStrings,
        false,
      ),
      { base },
    );
    // object: [1] int, [2] struct core_mod_only { int a; int b; }; strings "\0int\0core_mod_only\0a\0b\0"
    const local = Btf.parse(
      rawBtf(
        [
          INT(1),
          STRUCT(5, 8, [
            [19, 1, 0],
            [21, 1, 32],
          ]),
        ],
        "int\0core_mod_only\0a\0b\0",
      ),
    );
    const program: CoreProgram = {
      name: "p",
      section: "sec",
      sectionInsnOffset: 0,
      insns: Uint8Array.from([0xb7, 0x01, 0, 0, 4, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]),
    };
    const sections: CoreReloSection[] = [
      { name: "sec", records: [{ insnOff: 0, typeId: 2, accessString: "0:1", kind: 0 }] },
    ];
    const run = (targets: object) => relocateCore({ localBtf: local, sections, programs: [program], targets });
    return { base, module, local, run };
  };

  it("are searched only when vmlinux has none, from the module's own ids", () => {
    const { base, module, run } = setup();
    expect(module.firstOwnId).toBe(2);
    expect(module.nameOf(2)).toBe("core_mod_only");
    expect(module.memberName(2, 2)).toBe("b");
    const result = run({ vmlinux: coreTarget("vmlinux", base), modules: [coreTarget("mymod", module)] });
    expect(result.trace).toContain(
      "CO-RE relocating [2] struct core_mod_only: found target candidate [2] struct core_mod_only in [mymod]",
    );
    expect(result.relocations[0]!.targetBtf).toBe("mymod");
    expect(result.relocations[0]!.newValue).toBe(8n);
    expect(new DataView(result.insns[0]!.buffer).getInt32(4, true)).toBe(8);
  });

  it("are not searched with a custom target (btf_custom_path)", () => {
    const { base, module, run } = setup();
    const result = run({ custom: coreTarget("vmlinux", base), modules: [coreTarget("mymod", module)] });
    expect(result.relocations[0]!.poisoned).toBe(true);
    expect(result.trace).toContain("prog 'p': relo #0: no matching targets found");
  });

  it("are not searched when vmlinux has a candidate", () => {
    const { module, local, run } = setup();
    const result = run({ vmlinux: coreTarget("vmlinux", local), modules: [coreTarget("mymod", module)] });
    expect(result.relocations[0]!.targetBtf).toBe("vmlinux");
    expect(result.relocations[0]!.newValue).toBe(4n);
  });
});
