import { describe, expect, it } from "vitest";
import { explainCoreFailure, placeCoreRelocations } from "./core-relocations.js";

// Engine reports (the fields of @bpfkit/btf's AppliedRelocation the loader reads) for a program `prog` in SEC("tc")
// calling `helper` from .text; the same name in another section must not be confused with it.
const report = (program: string, section: string, reloIndex: number, insnIndex: number, poisoned = false) => ({
  program,
  section,
  reloIndex,
  insnIndex,
  kindName: "byte_off",
  localSpec: `<byte_off> [3] struct s.f${reloIndex} (0:${reloIndex} @ offset ${reloIndex * 4})`,
  targetSpec: poisoned ? undefined : `<byte_off> [9] struct s.f${reloIndex} (0:${reloIndex} @ offset 0)`,
  poisoned,
});
const APPLIED = [
  report("prog", "tc", 0, 5),
  report("helper", ".text", 0, 2, true),
  report("helper", ".text", 1, 0),
  report("helper", "other", 2, 1),
  { something: "else" },
];

describe("placeCoreRelocations", () => {
  it("keeps the entry program's indices, shifts appended subprograms by their start slot", () => {
    const placed = placeCoreRelocations(APPLIED, { name: "prog", section: "tc" }, [
      { function: { name: "helper", section: ".text" }, offset: 10 },
    ]);
    expect(placed.map((r) => [r.insnIndex, r.reloIndex, r.section, r.subprogram, r.poisoned])).toEqual([
      [5, 0, "tc", undefined, false],
      [10, 1, ".text", "helper", false],
      [12, 0, ".text", "helper", true],
    ]);
    expect(placed[2]!.targetSpec).toBeUndefined();
    expect(placed[0]!.targetSpec).toBe("<byte_off> [9] struct s.f0 (0:0 @ offset 0)");
    expect(placeCoreRelocations(APPLIED, { name: "nothing", section: "tc" }, [])).toEqual([]);
  });
});

describe("explainCoreFailure", () => {
  const placed = placeCoreRelocations(APPLIED, { name: "prog", section: "tc" }, [
    { function: { name: "helper", section: ".text" }, offset: 10 },
  ]);
  const log = [
    "12: R1=ctx() R10=fp0",
    "; return s->f0; @ prog.c:7",
    "12: (85) call unknown#195896080",
    "invalid func unknown#195896080",
    "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
  ];

  it("rewrites the log like libbpf and names the poisoned relocation and the verifier's C line", () => {
    expect(explainCoreFailure(log, placed)).toEqual({
      log: [
        log[0],
        log[1],
        "12: <invalid CO-RE relocation>",
        "failed to resolve CO-RE relocation <byte_off> [3] struct s.f0 (0:0 @ offset 0)",
        log[4],
      ],
      relocation: placed[2],
      source: "prog.c:7",
      code: "return s->f0;",
    });
  });

  it("explains nothing when the poisoned call is not the failure or not a poisoned relocation's", () => {
    expect(explainCoreFailure(log, placed.slice(0, 2))).toBeUndefined();
    expect(explainCoreFailure(["0: (95) exit", "R0 !read_ok"], placed)).toBeUndefined();
    expect(explainCoreFailure([], placed)).toBeUndefined();
  });
});
