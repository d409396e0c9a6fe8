// What the conformance corpus does not pin down: faults name the instruction and address, frames are separate
// regions, runaway loops and deep recursion stop with typed errors, and the trace sees every instruction.
import { describe, expect, it } from "vitest";
import { VmError } from "./errors.js";
import { interpret } from "./interpreter.js";
import { VmMemory } from "./memory.js";
import { checkProgram, decodeProgram } from "./program.js";

/** Assembles instructions given as [code, dst, src, off, imm]. */
function program(...insns: [number, number, number, number, number][]) {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach(([code, dst, src, off, imm], i) => {
    bytes[i * 8] = code;
    bytes[i * 8 + 1] = (src << 4) | dst;
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  const p = decodeProgram(bytes);
  checkProgram(p);
  return p;
}

const MOV64_IMM = 0xb7;
const EXIT = 0x95;
const STB = 0x72;
const LDXDW = 0x79;
const JA = 0x05;
const CALL = 0x85;

function thrown(fn: () => unknown): VmError {
  try {
    fn();
  } catch (error) {
    if (error instanceof VmError) return error;
    throw error;
  }
  throw new Error("no VmError");
}

describe("interpret", () => {
  it("a store just past a frame's 512 bytes faults with the instruction and the address", () => {
    const p = program([STB, 10, 0, 0, 1], [MOV64_IMM, 0, 0, 0, 0], [EXIT, 0, 0, 0, 0]);
    const memory = new VmMemory();
    const error = thrown(() => interpret(p, { memory }));
    expect(error).toMatchObject({ code: "MEMORY", pc: 0 });
    expect(error.address).toBeGreaterThan(0n);
    expect(error.message).toMatch(/^insn 0: invalid write at 0x[0-9a-f]+: address outside every region$/);
  });

  it("reads of a region stop at its end", () => {
    const memory = new VmMemory();
    const data = memory.allocate("ctx", 12, false);
    const p = program([LDXDW, 0, 1, 8, 0], [EXIT, 0, 0, 0, 0]);
    const error = thrown(() => interpret(p, { memory, registers: { 1: BigInt(data.start) } }));
    expect(error.message).toContain("8-byte access past the end of ctx (4 bytes left)");
    const ok = program([LDXDW, 0, 1, 4, 0], [EXIT, 0, 0, 0, 0]);
    expect(interpret(ok, { memory, registers: { 1: BigInt(data.start) } }).value).toBe(0n);
  });

  it("a loop that never ends runs out of budget", () => {
    const p = program([MOV64_IMM, 0, 0, 0, 0], [JA, 0, 0, -1, 0], [EXIT, 0, 0, 0, 0]);
    expect(thrown(() => interpret(p, { memory: new VmMemory(), budget: 1000 })).code).toBe("BUDGET");
  });

  it("recursion deeper than 8 frames stops", () => {
    const p = program([CALL, 0, 1, 0, -1], [EXIT, 0, 0, 0, 0]);
    expect(thrown(() => interpret(p, { memory: new VmMemory() })).code).toBe("CALL_DEPTH");
  });

  it("the trace sees every executed instruction", () => {
    const pcs: number[] = [];
    const p = program([MOV64_IMM, 0, 0, 0, 7], [JA, 0, 0, 0, 0], [EXIT, 0, 0, 0, 0]);
    const result = interpret(p, { memory: new VmMemory(), trace: (pc) => pcs.push(pc) });
    expect([result.value, result.steps, pcs]).toEqual([7n, 3, [0, 1, 2]]);
  });

  it("refuses reading a register nothing wrote, before running", () => {
    expect(thrown(() => program([EXIT, 0, 0, 0, 0])).message).toBe("insn 0: R0 !read_ok");
  });

  it("refuses an atomic fetch into r10, which would move the frame pointer (the kernel's 'frame pointer is read only')", () => {
    const ATOMIC_DW = 0xdb;
    const XCHG = 0xe1;
    const p = () =>
      program([MOV64_IMM, 0, 0, 0, 0], [0xbf, 1, 10, 0, 0], [ATOMIC_DW, 1, 10, -8, XCHG], [EXIT, 0, 0, 0, 0]);
    expect(thrown(p).message).toBe("insn 2: frame pointer is read only");
  });
});
