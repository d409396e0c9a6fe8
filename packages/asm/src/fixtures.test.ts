// Round trip of every executable section of every committed fixture, little- and big-endian.
import { execFileSync } from "node:child_process";
import { beforeAll, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { type ExecSection, executableSections, FIXTURE_DIR, fixtureObjects } from "../test-support/fixtures.js";
import { decodeInstructions, encodeInstructions } from "./codec.js";
import { type Instruction, slotCount, width } from "./instruction.js";
import { classOf } from "./opcodes.js";

// llvm-readelf-19 locates the sections (llvm-objdump-19 below comes with it in llvm-19). Both run in hooks and
// tests only: a skipped suite's body still runs to collect its tests.
describeWith(["llvm-readelf"], "fixture executable sections", () => {
  let sections: ExecSection[] = [];
  beforeAll(() => {
    sections = fixtureObjects().flatMap(executableSections);
  });

  it("covers both byte orders and every fixture", () => {
    expect(sections.some((s) => s.endian === "big")).toBe(true);
    expect(new Set(sections.map((s) => s.object)).size).toBe(fixtureObjects().length);
  });

  it("every section decodes and re-encodes byte-identically", () => {
    expect(sections.length).toBeGreaterThanOrEqual(fixtureObjects().length);
    for (const s of sections) {
      const insns = decodeInstructions(s.bytes, s.endian);
      expect(slotCount(insns), `${s.object} ${s.name}`).toBe(s.bytes.length / 8);
      expect(encodeInstructions(insns, s.endian), `${s.object} ${s.name}`).toEqual(s.bytes);
    }
  });

  it.each(["xdp_parse", "subprogs", "globals"])("%s: big-endian twin decodes to the same instructions", (name) => {
    const le = executableSections(`${name}.bpf.o`);
    const be = executableSections(`${name}.bpfeb.o`);
    expect(be.map((s) => s.name)).toEqual(le.map((s) => s.name));
    for (const [i, s] of le.entries()) {
      const a = decodeInstructions(s.bytes, "little");
      const b = decodeInstructions(be[i]!.bytes, "big");
      // Bitfield access differs between byte orders (`>>= 3` vs `&= 0x1f` in globals), so compare the shape:
      // class, registers and width of every instruction. A nibble-order bug would swap dst and src.
      const shape = (x: Instruction) => [classOf(x.opcode), x.dst, x.src, width(x)];
      expect(b.map(shape)).toEqual(a.map(shape));
    }
  });

  it("agrees with llvm-objdump on the number and opcodes of instructions", () => {
    for (const object of fixtureObjects().filter((o) => o.endsWith(".bpf.o"))) {
      const dump = execFileSync("llvm-objdump-19", ["-d", FIXTURE_DIR + object], {
        encoding: "utf8",
      });
      // Lines look like "       3:\t85 10 00 00 03 00 00 00\tcall 0x3"; ld_imm64 shows 16 bytes on one line.
      const opcodes = [...dump.matchAll(/^\s+\d+:\t([0-9a-f]{2}) /gm)].map((m) => Number.parseInt(m[1]!, 16));
      const ours = executableSections(object).flatMap((s) =>
        decodeInstructions(s.bytes, s.endian).map((i) => i.opcode),
      );
      expect(ours, object).toEqual(opcodes);
    }
  });
});
