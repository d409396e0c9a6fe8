// Big-endian objects: the same fixture compiled for bpfeb, relocated against its bpfeb -DTARGET twin, gives the same
// relocation decisions and values as the little-endian build (bitfield reads aside: clang emits other records for
// them) (libbpf cannot open bpfeb objects on this host, so
// the little-endian run, itself checked against libbpf in core-oracle, is the reference), and the patched
// big-endian instructions decode to those values.
import { expect, it } from "vitest";
import { CoreRelocationError, type CoreTargets, relocateCore } from "../packages/btf/src/core/index.js";
import { compileFixture, customTargets, readObject, type TestObject } from "./core-support.js";
import { describeWith } from "./support/env.js";

function run(object: TestObject, targets: CoreTargets, program: string) {
  try {
    return relocateCore({
      localBtf: object.btf,
      sections: object.coreSections,
      programs: object.programs.map((p) => ({ ...p, autoload: p.name === program })),
      targets,
      littleEndian: object.littleEndian,
    });
  } catch (error) {
    if (error instanceof CoreRelocationError) return error.code;
    throw error;
  }
}

describeWith(["clang"], "CO-RE on big-endian objects", () => {
  for (const source of ["core_layouts.bpf.c", "core_matches.bpf.c", "core_flavors.bpf.c"]) {
    it(`${source}: bpfeb relocations agree with bpfel`, () => {
      const builds = ["bpfel", "bpfeb"].map((target) => {
        const object = readObject(compileFixture(source, [], "o", target));
        const twin = readObject(compileFixture(source, ["TARGET"], "o", target));
        return { object, targets: customTargets(twin.sections.get(".BTF")!) };
      });
      const [le, be] = builds as [(typeof builds)[0], (typeof builds)[0]];
      expect(le.object.littleEndian).toBe(true);
      expect(be.object.littleEndian).toBe(false);
      // Each source has at least two programs (flavors and matches: two; layouts: six).
      expect(le.object.programs.length, source).toBeGreaterThanOrEqual(2);
      let checkedValues = 0;
      for (const program of le.object.programs) {
        const a = run(le.object, le.targets, program.name);
        const b = run(be.object, be.targets, program.name);
        if (typeof a === "string" || typeof b === "string") {
          expect(b, program.name).toBe(a);
          continue;
        }
        // Relocation indexes differ (the bitfield program has other records before these): compare the rest.
        const summary = (r: (typeof a.relocations)[0]) => [
          r.insnIndex,
          r.localSpec,
          r.targetSpec,
          r.poisoned,
          r.newValue,
        ];
        // clang reads bitfields differently for bpfeb (other relocation records): there only the outcome must agree.
        if (program.name.includes("bitfield")) expect(b.relocations.length).toBeGreaterThan(0);
        else expect(b.relocations.map(summary), program.name).toEqual(a.relocations.map(summary));
        // The patched big-endian instruction holds the new value where the little-endian one does.
        const index = be.object.programs.findIndex((p) => p.name === program.name);
        const view = new DataView(b.insns[index]!.buffer);
        for (const r of b.relocations) {
          const at = r.insnIndex * 8;
          if (r.poisoned) {
            expect(view.getInt32(at + 4, false)).toBe(0xbad2310);
            continue;
          }
          const cls = view.getUint8(at) & 7;
          const expected = Number(BigInt.asIntN(cls === 1 || cls === 2 || cls === 3 ? 16 : 32, r.newValue!));
          const actual =
            cls === 1 || cls === 2 || cls === 3 ? view.getInt16(at + 2, false) : view.getInt32(at + 4, false);
          expect(actual, `${program.name} insn #${r.insnIndex}`).toBe(expected);
          checkedValues++;
        }
      }
      expect(checkedValues, `${source}: patched big-endian values checked`).toBeGreaterThan(0);
    });
  }
});
