import { describe, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { executableSections } from "../test-support/fixtures.js";
import { decodeInstructions, encodeInstructions } from "./codec.js";
import * as dsl from "./dsl.js";
import { type Instruction, R0, R1, R2, R6, R10 } from "./instruction.js";
import { AluOp, JmpOp, Size } from "./opcodes.js";
import { HelperId } from "./tables.generated.js";

describe("builder DSL", () => {
  it("builds a map lookup program that encodes as the kernel expects", () => {
    const program = [
      dsl.stMem(Size.W, R10, -4, 0),
      dsl.mov64Reg(R2, R10),
      dsl.add64Imm(R2, -4),
      dsl.ldMapFd(R1, 3),
      dsl.call(HelperId.map_lookup_elem),
      dsl.jmpImm(JmpOp.JEQ, R0, 0, 1),
      dsl.ldxMem(Size.DW, R0, R0, 0),
      dsl.exit(),
    ];
    const raw = encodeInstructions(program, "little");
    expect(Array.from(raw.subarray(24, 40))).toEqual([0x18, 0x11, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(raw.subarray(40, 48))).toEqual([0x85, 0, 0, 0, 1, 0, 0, 0]);
  });

  it("produces only encodings the strict decoder accepts, for every builder", () => {
    const all: Instruction[] = [
      dsl.alu64Imm(AluOp.MOD, R1, 3, 1),
      dsl.alu64Reg(AluOp.DIV, R1, R2, 1),
      dsl.alu32Imm(AluOp.LSH, R1, 3),
      dsl.alu32Reg(AluOp.ARSH, R1, R2),
      dsl.mov32Imm(R1, 1),
      dsl.mov32Reg(R1, R2),
      dsl.sub64Imm(R1, 1),
      dsl.and64Imm(R1, 1),
      dsl.lsh64Imm(R1, 1),
      dsl.rsh64Imm(R1, 1),
      dsl.add64Reg(R1, R2),
      dsl.neg64(R1),
      dsl.neg32(R1),
      dsl.movsx64(R1, R2, 16),
      dsl.movsx32(R1, R2, 8),
      dsl.toBe(R1, 32),
      dsl.toLe(R1, 16),
      dsl.bswap(R1, 64),
      dsl.ldImm64(R1, 1n << 40n),
      dsl.ldMapValue(R1, 4, 8),
      dsl.ldMapIdx(R1, 0),
      dsl.ldMapIdxValue(R1, 0, 4),
      dsl.ldBtfId(R1, 77),
      dsl.ldFunc(R2, 10),
      dsl.ldAbs(Size.B, 3),
      dsl.ldInd(Size.W, R6, 4),
      dsl.ldxMemsx(Size.W, R1, R2, 0),
      dsl.stxMem(Size.H, R10, R1, -2),
      dsl.atomicAdd(Size.W, R1, R2, 0),
      dsl.atomicXchg(Size.DW, R1, R2, 0),
      dsl.atomicCmpxchg(Size.DW, R1, R2, 0),
      dsl.loadAcquire(Size.H, R1, R2, 0),
      dsl.storeRelease(Size.B, R1, R2, 0),
      dsl.jmpReg(JmpOp.JSET, R1, R2, 1),
      dsl.jmp32Imm(JmpOp.JSLT, R1, -1, 1),
      dsl.jmp32Reg(JmpOp.JLE, R1, R2, 1),
      dsl.ja(-1),
      dsl.gotol(100000),
      dsl.mayGoto(2),
      dsl.callSubprog(4),
      dsl.callKfunc(1000, 1),
      dsl.exit(),
    ];
    for (const endian of ["little", "big"] as const) {
      expect(decodeInstructions(encodeInstructions(all, endian), endian)).toEqual(all);
    }
  });

  it("attaches metadata without touching the encoding", () => {
    const labelled = dsl.withReference(dsl.withSymbol(dsl.ldMapFd(R1, 0), "prog"), "my_map");
    expect(labelled).toMatchObject({ symbol: "prog", reference: "my_map" });
    expect(encodeInstructions([labelled], "little")).toEqual(encodeInstructions([dsl.ldMapFd(R1, 0)], "little"));
  });
});

describeWith(["llvm-readelf"], "DSL against clang output", () => {
  it("xdp_pass: `return XDP_PASS` is byte-identical to clang's", () => {
    const [xdp] = executableSections("xdp_pass.bpf.o");
    expect(encodeInstructions([dsl.mov64Imm(R0, 2), dsl.exit()], "little")).toEqual(xdp!.bytes);
  });

  it("subprogs: global_scale in .text is byte-identical in both byte orders", () => {
    const globalScale = [
      dsl.mov64Reg(R6, R1),
      dsl.alu64Imm(AluOp.MUL, R6, 3),
      dsl.mov64Imm(R1, 4),
      dsl.callSubprog(3),
      dsl.add64Reg(R6, R0),
      dsl.mov64Reg(R0, R6),
      dsl.exit(),
    ];
    for (const [object, endian] of [
      ["subprogs.bpf.o", "little"],
      ["subprogs.bpfeb.o", "big"],
    ] as const) {
      const text = executableSections(object).find((s) => s.name === ".text")!;
      expect(encodeInstructions(globalScale, endian)).toEqual(text.bytes.subarray(0, globalScale.length * 8));
    }
  });
});
