// Expected strings were derived by reading kernel/bpf/disasm.c (print_bpf_insn): the 2026 version for the
// "current" dialect and the kernel 6.1 copy bpftool 7.1 is built with for "v6.1". Forms the fixtures produce are
// also checked against bpftool itself in xlated-oracle.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInstructions } from "./codec.js";
import { formatInstruction, type Symbolizer } from "./disasm.js";
import {
  alu32Imm,
  alu32Reg,
  alu64Imm,
  alu64Reg,
  atomic,
  atomicAdd,
  atomicCmpxchg,
  atomicXchg,
  bswap,
  call,
  callKfunc,
  callSubprog,
  exit,
  gotol,
  ja,
  jmp32Imm,
  jmp32Reg,
  jmpImm,
  jmpReg,
  ldAbs,
  ldBtfId,
  ldFunc,
  ldImm64,
  ldInd,
  ldMapFd,
  ldMapIdx,
  ldMapIdxValue,
  ldMapValue,
  ldxMem,
  ldxMemsx,
  loadAcquire,
  mayGoto,
  mov32Imm,
  mov64Imm,
  mov64Reg,
  movsx32,
  movsx64,
  neg32,
  neg64,
  stMem,
  storeRelease,
  stxMem,
  toBe,
  toLe,
} from "./dsl.js";
import { type Instruction, R0, R1, R2, R3, R6, R10 } from "./instruction.js";
import { AluOp, AtomicOp, JmpOp, Size } from "./opcodes.js";

type Row = [string, Instruction, string, string?];

// [label, instruction, current text, v6.1 text if different]
const rows: Row[] = [
  ["mov64 imm", mov64Imm(R1, 0), "(b7) r1 = 0"],
  ["mov64 negative imm", mov64Imm(R0, -1), "(b7) r0 = -1"],
  ["mov64 reg", mov64Reg(R1, R10), "(bf) r1 = r10"],
  ["mov32 imm", mov32Imm(R0, 7), "(b4) w0 = 7"],
  ["add64 imm", alu64Imm(AluOp.ADD, R2, -4), "(07) r2 += -4"],
  ["sub32 reg", alu32Reg(AluOp.SUB, R1, R2), "(1c) w1 -= w2"],
  ["mul64 imm", alu64Imm(AluOp.MUL, R6, 3), "(27) r6 *= 3"],
  ["div64 reg", alu64Reg(AluOp.DIV, R1, R2), "(3f) r1 /= r2"],
  ["or32 imm", alu32Imm(AluOp.OR, R1, 1), "(44) w1 |= 1"],
  ["and64 imm", alu64Imm(AluOp.AND, R0, 1), "(57) r0 &= 1"],
  ["lsh64 imm", alu64Imm(AluOp.LSH, R6, 32), "(67) r6 <<= 32"],
  ["rsh64 imm", alu64Imm(AluOp.RSH, R6, 32), "(77) r6 >>= 32"],
  ["neg64", neg64(R3), "(87) r3 = -r3"],
  ["neg32", neg32(R3), "(84) w3 = -w3"],
  ["mod32 reg", alu32Reg(AluOp.MOD, R1, R2), "(9c) w1 %= w2"],
  ["xor64 reg", alu64Reg(AluOp.XOR, R1, R1), "(af) r1 ^= r1"],
  ["arsh64 imm", alu64Imm(AluOp.ARSH, R6, 32), "(c7) r6 s>>= 32"],
  ["sdiv64 imm", alu64Imm(AluOp.DIV, R1, 3, 1), "(37) r1 s/= 3", "(37) r1 /= 3"],
  ["smod32 reg", alu32Reg(AluOp.MOD, R1, R2, 1), "(9c) w1 s%= w2", "(9c) w1 %= w2"],
  ["movsx64 s8", movsx64(R1, R2, 8), "(bf) r1 = (s8)r2", "(bf) r1 = r2"],
  ["movsx64 s16", movsx64(R1, R2, 16), "(bf) r1 = (s16)r2", "(bf) r1 = r2"],
  ["movsx64 s32", movsx64(R1, R2, 32), "(bf) r1 = (s32)r2", "(bf) r1 = r2"],
  ["movsx32 s8", movsx32(R1, R2, 8), "(bc) w1 = (s8)w2", "(bc) w1 = w2"],
  ["to be16", toBe(R1, 16), "(dc) r1 = be16 r1"],
  ["to le64", toLe(R1, 64), "(d4) r1 = le64 r1"],
  ["bswap32", bswap(R2, 32), "(d7) r2 = bswap32 r2", "BUG_alu64_d7"],
  [
    "addr_space_cast",
    { ...mov64Reg(R1, R2), off: 1, imm: 0x10000 },
    "(bf) r1 = addr_space_cast(r2, 1, 0)",
    "(bf) r1 = r2",
  ],
  ["per-CPU mov", { ...mov64Reg(R0, R0), off: -1 }, "(bf) r0 = &(void __percpu *)(r0)", "(bf) r0 = r0"],
  ["ldx u16", ldxMem(Size.H, R2, R1, 176), "(69) r2 = *(u16 *)(r1 +176)"],
  ["ldx u64 negative off", ldxMem(Size.DW, R0, R10, -16), "(79) r0 = *(u64 *)(r10 -16)"],
  ["ldx u8 zero off", ldxMem(Size.B, R0, R1, 0), "(71) r0 = *(u8 *)(r1 +0)"],
  ["ldxsx s8", ldxMemsx(Size.B, R1, R2, 4), "(91) r1 = *(s8 *)(r2 +4)", "BUG_ldx_91"],
  ["ldxsx s32", ldxMemsx(Size.W, R1, R2, -4), "(81) r1 = *(s32 *)(r2 -4)", "BUG_ldx_81"],
  ["st u32", stMem(Size.W, R10, -4, 0), "(62) *(u32 *)(r10 -4) = 0"],
  ["st u64 negative", stMem(Size.DW, R1, 8, -1), "(7a) *(u64 *)(r1 +8) = -1"],
  ["stx u32", stxMem(Size.W, R10, R1, -4), "(63) *(u32 *)(r10 -4) = r1"],
  ["stx u8", stxMem(Size.B, R1, R2, 3), "(73) *(u8 *)(r1 +3) = r2"],
  ["atomic add64", atomicAdd(Size.DW, R0, R1, 0), "(db) lock *(u64 *)(r0 +0) += r1"],
  ["atomic add32", atomicAdd(Size.W, R0, R1, 4), "(c3) lock *(u32 *)(r0 +4) += r1"],
  ["atomic or", atomic(Size.DW, AtomicOp.OR, R1, R2, 0), "(db) lock *(u64 *)(r1 +0) |= r2"],
  ["atomic and", atomic(Size.W, AtomicOp.AND, R1, R2, 0), "(c3) lock *(u32 *)(r1 +0) &= r2"],
  ["atomic xor", atomic(Size.DW, AtomicOp.XOR, R1, R2, -8), "(db) lock *(u64 *)(r1 -8) ^= r2"],
  ["atomic fetch add64", atomicAdd(Size.DW, R1, R2, 0, true), "(db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)"],
  [
    "atomic fetch or32",
    atomic(Size.W, AtomicOp.OR | AtomicOp.FETCH, R1, R2, 0),
    "(c3) r2 = atomic_fetch_or((u32 *)(r1 +0), r2)",
  ],
  [
    "atomic fetch and64",
    atomic(Size.DW, AtomicOp.AND | AtomicOp.FETCH, R1, R2, 0),
    "(db) r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)",
  ],
  [
    "atomic fetch xor32",
    atomic(Size.W, AtomicOp.XOR | AtomicOp.FETCH, R1, R2, 2),
    "(c3) r2 = atomic_fetch_xor((u32 *)(r1 +2), r2)",
  ],
  ["xchg64", atomicXchg(Size.DW, R1, R2, 0), "(db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)"],
  ["cmpxchg32", atomicCmpxchg(Size.W, R1, R2, -4), "(c3) r0 = atomic_cmpxchg((u32 *)(r1 -4), r0, r2)"],
  ["load_acquire u8", loadAcquire(Size.B, R0, R1, 0), "(d3) r0 = load_acquire((u8 *)(r1 +0))", "BUG_d3"],
  ["store_release u64", storeRelease(Size.DW, R1, R2, 8), "(db) store_release((u64 *)(r1 +8), r2)", "BUG_db"],
  ["ld_abs", ldAbs(Size.H, 12), "(28) r0 = *(u16 *)skb[12]"],
  ["ld_ind", ldInd(Size.B, R1, 14), "(50) r0 = *(u8 *)skb[r1 + 14]"],
  ["ld_imm64 plain", ldImm64(R0, 0xffffffffn), "(18) r0 = 0xffffffff"],
  ["ld_imm64 negative", ldImm64(R2, -1n), "(18) r2 = 0xffffffffffffffff"],
  ["ld_imm64 map fd", ldMapFd(R1, 5), "(18) r1 = 0x5"],
  ["ld_imm64 map value", ldMapValue(R1, 5, 8), "(18) r1 = 0x800000005"],
  ["ld_imm64 btf id", ldBtfId(R1, 100), "(18) r1 = 0x64"],
  ["ld_imm64 func", ldFunc(R2, 23), "(18) r2 = 0x17"],
  ["ld_imm64 map idx", ldMapIdx(R1, 0), "(18) r1 = 0x0"],
  ["ld_imm64 map idx value", ldMapIdxValue(R1, 1, 4), "(18) r1 = 0x400000001"],
  ["helper call", call(1), "(85) call bpf_map_lookup_elem#1"],
  ["helper 0", call(0), "(85) call bpf_unspec#0"],
  ["tail call", call(12), "(85) call bpf_tail_call#12"],
  ["unknown helper", call(100000), "(85) call unknown#100000"],
  ["negative helper imm", call(-76912), "(85) call unknown#-76912"],
  ["bpf-to-bpf call", callSubprog(5), "(85) call pc+5"],
  ["bpf-to-bpf call back", callSubprog(-3), "(85) call pc-3"],
  ["kfunc call", callKfunc(1234), "(85) call kernel-function#1234"],
  ["goto", ja(3), "(05) goto pc+3"],
  ["goto back", ja(-1), "(05) goto pc-1"],
  ["gotol", gotol(70000), "(06) gotol pc+70000", "(06) if w0 jmp 0x11170 goto pc+0"],
  ["may_goto", mayGoto(4), "(e5) may_goto pc+4", "(e5) if r0 (null) 0x0 goto pc+4"],
  ["gotox", { opcode: 0x0d, dst: 3, src: 0, off: 0, imm: 0 }, "(0d) gotox r3", "(0d) if r3 jmp r0 goto pc+0"],
  ["exit", exit(), "(95) exit"],
  ["jeq imm", jmpImm(JmpOp.JEQ, R0, 0, 2), "(15) if r0 == 0x0 goto pc+2"],
  ["jne imm", jmpImm(JmpOp.JNE, R2, 8, 1), "(55) if r2 != 0x8 goto pc+1"],
  ["jgt reg", jmpReg(JmpOp.JGT, R3, R2, 4), "(2d) if r3 > r2 goto pc+4"],
  ["jge imm", jmpImm(JmpOp.JGE, R0, 0x100, 3), "(35) if r0 >= 0x100 goto pc+3"],
  ["jset imm", jmpImm(JmpOp.JSET, R1, 4, -2), "(45) if r1 & 0x4 goto pc-2"],
  ["jsgt reg", jmpReg(JmpOp.JSGT, R1, R6, 23), "(6d) if r1 s> r6 goto pc+23"],
  ["jsge imm negative", jmpImm(JmpOp.JSGE, R1, -1, 1), "(75) if r1 s>= 0xffffffff goto pc+1"],
  ["jlt imm", jmpImm(JmpOp.JLT, R1, 10, 1), "(a5) if r1 < 0xa goto pc+1"],
  ["jle reg", jmpReg(JmpOp.JLE, R1, R2, 1), "(bd) if r1 <= r2 goto pc+1"],
  ["jslt imm", jmpImm(JmpOp.JSLT, R1, 0, 1), "(c5) if r1 s< 0x0 goto pc+1"],
  ["jsle reg", jmpReg(JmpOp.JSLE, R1, R2, 1), "(dd) if r1 s<= r2 goto pc+1"],
  ["jmp32 jeq imm", jmp32Imm(JmpOp.JEQ, R1, 5, 2), "(16) if w1 == 0x5 goto pc+2"],
  ["jmp32 jne reg", jmp32Reg(JmpOp.JNE, R1, R2, -7), "(5e) if w1 != w2 goto pc-7"],
  ["nospec", { opcode: 0xc2, dst: 0, src: 0, off: 0, imm: 0 }, "(c2) nospec"],
  ["st in another mode", { opcode: 0x22, dst: 0, src: 0, off: 0, imm: 0 }, "BUG_st_22"],
  ["stx in another mode", { opcode: 0x43, dst: 0, src: 0, off: 0, imm: 0 }, "BUG_43"],
  ["undefined atomic op", { opcode: 0xdb, dst: 1, src: 2, off: 0, imm: 0x02 }, "BUG_db"],
  ["ld in another mode", { opcode: 0x60, dst: 0, src: 0, off: 0, imm: 0 }, "BUG_ld_60"],
  ["undefined ALU op", { opcode: 0xe7, dst: 1, src: 0, off: 0, imm: 2 }, "(e7) r1 (null) 2"],
  ["JMP32 exit", { opcode: 0x96, dst: 0, src: 0, off: 0, imm: 0 }, "(96) if w0 exit 0x0 goto pc+0"],
  ["kernel AX register", { ...mov64Imm(R0, 0), dst: 11 }, "(b7) r11 = 0"],
];

describe("formatInstruction (disasm.c)", () => {
  it.each(rows)("%s", (_label, insn, current, v61) => {
    expect(formatInstruction(insn)).toBe(current);
    expect(formatInstruction(insn, { dialect: "v6.1" })).toBe(v61 ?? current);
  });

  it("hides map and BTF pointers when pointer leaks are not allowed, per dialect", () => {
    const opts = { allowPtrLeaks: false } as const;
    expect(formatInstruction(ldMapFd(R1, 5), opts)).toBe("(18) r1 = 0x0");
    expect(formatInstruction(ldMapValue(R1, 5, 8), opts)).toBe("(18) r1 = 0x0");
    expect(formatInstruction(ldBtfId(R1, 9), opts)).toBe("(18) r1 = 0x0");
    expect(formatInstruction(ldBtfId(R1, 9), { ...opts, dialect: "v6.1" })).toBe("(18) r1 = 0x9");
    expect(formatInstruction(ldImm64(R1, 9n), opts)).toBe("(18) r1 = 0x9");
  });

  it("consults the symbolizer except for known helper ids", () => {
    const seen: number[] = [];
    const symbolizer: Symbolizer = {
      call: (insn) => {
        seen.push(insn.imm);
        return insn.imm === 7 ? undefined : `sym${insn.imm}`;
      },
      imm64: (insn, value) => `map[${insn.src}:${value}]`,
    };
    expect(formatInstruction(call(1), { symbolizer })).toBe("(85) call bpf_map_lookup_elem#1");
    expect(formatInstruction(call(-5), { symbolizer })).toBe("(85) call sym-5#-5");
    expect(formatInstruction(callSubprog(7), { symbolizer })).toBe("(85) call pc+7");
    expect(formatInstruction(callKfunc(8), { symbolizer })).toBe("(85) call sym8#8");
    expect(formatInstruction(ldMapFd(R1, 3), { symbolizer })).toBe("(18) r1 = map[1:3]");
    expect(seen).toEqual([-5, 7, 8]);
  });

  it("uses the helper name table it is given", () => {
    expect(formatInstruction(call(2), { helperNames: ["a", "b"] })).toBe("(85) call unknown#2");
  });
});

describe("formatInstruction on arbitrary instructions", () => {
  it("always returns one line of text in both dialects, never throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
        raw[8] = 0; // keep a possible ld_imm64 well-formed so lenient decode succeeds
        raw[9] = 0;
        raw[10] = 0;
        raw[11] = 0;
        for (const insn of decodeInstructions(raw, "little", { lenient: true })) {
          for (const dialect of ["current", "v6.1"] as const) {
            const line = formatInstruction(insn, { dialect });
            expect(line).toMatch(/^(\([0-9a-f]{2}\) |BUG_)/);
            expect(line).not.toContain("\n");
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});
