import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInstructions, encodeInstructions } from "./codec.js";
import { atomicAdd, call, exit, ldImm64, ldMapFd, ldMapValue, ldxMemsx, mov64Imm, movsx64, stxMem } from "./dsl.js";
import { AsmError } from "./errors.js";
import { imm64, R0, R1, R2, R10, slotCount, slotIndexes, splitImm64 } from "./instruction.js";
import { Size } from "./opcodes.js";

const bytes = (...b: number[]) => new Uint8Array(b);

function expectAsmError(fn: () => unknown, code: string, index?: number) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AsmError);
    expect((err as AsmError).code).toBe(code);
    if (index !== undefined) expect((err as AsmError).index).toBe(index);
    return err as AsmError;
  }
  throw new Error("expected an AsmError");
}

describe("decodeInstructions", () => {
  it("reads the register nibbles in the order of each endianness", () => {
    // r1 = r10 (0xbf): little-endian byte 1 is src<<4|dst, big-endian dst<<4|src.
    const le = decodeInstructions(bytes(0xbf, 0xa1, 0, 0, 0, 0, 0, 0), "little");
    const be = decodeInstructions(bytes(0xbf, 0x1a, 0, 0, 0, 0, 0, 0), "big");
    expect(le).toEqual([{ opcode: 0xbf, dst: 1, src: 10, off: 0, imm: 0 }]);
    expect(be).toEqual(le);
  });

  it("reads off and imm as signed values in the given byte order", () => {
    const le = decodeInstructions(bytes(0x63, 0x1a, 0xfc, 0xff, 0xfe, 0xff, 0xff, 0xff), "little");
    expect(le[0]).toMatchObject({ dst: 10, src: 1, off: -4, imm: -2 });
    const be = decodeInstructions(bytes(0x63, 0xa1, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xfe), "big");
    expect(be).toEqual(le);
  });

  it("decodes ld_imm64 as one instruction holding both halves", () => {
    const raw = bytes(0x18, 0x01, 0, 0, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0xf0, 0xde, 0xbc, 0x9a);
    const [insn, ...rest] = decodeInstructions(raw, "little");
    expect(rest).toEqual([]);
    expect(insn).toEqual({ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0x12345678, immHi: 0x9abcdef0 | 0 });
    expect(imm64(insn!)).toBe(0x9abcdef012345678n);
  });

  it("rejects a length that is not a multiple of 8", () => {
    const err = expectAsmError(() => decodeInstructions(new Uint8Array(12), "little"), "TRUNCATED", 1);
    expect(err.byteOffset).toBe(8);
  });

  it("rejects an ld_imm64 without its second slot", () => {
    const raw = encodeInstructions([mov64Imm(R0, 0)], "little");
    const withHead = new Uint8Array([...raw, 0x18, 0x01, 0, 0, 1, 0, 0, 0]);
    const err = expectAsmError(() => decodeInstructions(withHead, "little"), "TRUNCATED", 1);
    expect(err.byteOffset).toBe(8);
    expect(err.message).toContain("insn 1");
  });

  it("rejects an ld_imm64 whose second slot has reserved fields set", () => {
    const raw = encodeInstructions([ldImm64(R1, 5n)], "little");
    raw[9] = 0x01;
    expectAsmError(() => decodeInstructions(raw, "little"), "BAD_LD_IMM64", 1);
  });

  it.each([
    [0x0e, "JMP32 JA with X source"],
    [0x86, "call in JMP32"],
    [0x96, "exit in JMP32"],
    [0x8d, "call with X source"],
    [0xf5, "jump op 0xf0"],
    [0xe4, "ALU op 0xe0"],
    [0x8c, "NEG with X source"],
    [0xdf, "ALU64 END with X source"],
    [0x00, "LD IMM W"],
    [0x38, "LD ABS DW"],
    [0x99, "LDX MEMSX DW"],
    [0xa1, "LDX mode 0xa0"],
    [0xc2, "ST NOSPEC (kernel-internal)"],
    [0x83, "STX MEMSX"],
  ])("rejects opcode %i (%s) with its index", (opcode) => {
    const raw = encodeInstructions([mov64Imm(R0, 0), exit()], "little");
    raw[8] = opcode;
    expectAsmError(() => decodeInstructions(raw, "little"), "BAD_OPCODE", 1);
  });

  it("rejects undefined atomic operations and sub-word read-modify-write atomics", () => {
    const bad = encodeInstructions([atomicAdd(Size.DW, R1, R2, 0)], "little");
    bad[4] = 0x02;
    expectAsmError(() => decodeInstructions(bad, "little"), "BAD_ATOMIC", 0);
    const byteAdd = encodeInstructions([atomicAdd(Size.DW, R1, R2, 0)], "little");
    byteAdd[0] = 0xd3; // STX|ATOMIC|B
    expectAsmError(() => decodeInstructions(byteAdd, "little"), "BAD_OPCODE", 0);
  });

  it("rejects registers above r10 unless lenient", () => {
    const raw = bytes(0xb7, 0x0b, 0, 0, 0, 0, 0, 0);
    expectAsmError(() => decodeInstructions(raw, "little"), "BAD_REGISTER", 0);
    expect(decodeInstructions(raw, "little", { lenient: true })[0]).toMatchObject({ dst: 11 });
  });

  it("keeps kernel-internal opcodes in lenient mode and round trips them", () => {
    const raw = bytes(0xc2, 0, 0, 0, 0, 0, 0, 0, 0xe4, 0x21, 3, 0, 7, 0, 0, 0);
    const insns = decodeInstructions(raw, "little", { lenient: true });
    expect(insns.map((i) => i.opcode)).toEqual([0xc2, 0xe4]);
    expect(encodeInstructions(insns, "little", { lenient: true })).toEqual(raw);
  });
});

describe("encodeInstructions", () => {
  it("is the inverse of decode for a program using many forms, in both byte orders", () => {
    const program = [
      mov64Imm(R0, -1),
      ldMapFd(R1, 7),
      ldMapValue(R2, 9, 16),
      stxMem(Size.W, R10, R1, -4),
      ldxMemsx(Size.H, R2, R10, -8),
      movsx64(R1, R2, 32),
      atomicAdd(Size.DW, R1, R2, 8, true),
      ldImm64(R0, -2n),
      call(1),
      exit(),
    ];
    for (const endian of ["little", "big"] as const) {
      const raw = encodeInstructions(program, endian);
      expect(raw.length).toBe(slotCount(program) * 8);
      const back = decodeInstructions(raw, endian);
      expect(back).toEqual(program.map((i) => ({ ...i })));
      expect(encodeInstructions(back, endian)).toEqual(raw);
    }
    expect(slotIndexes(program)).toEqual([0, 1, 3, 5, 6, 7, 8, 9, 11, 12]);
  });

  it("accepts unsigned 32-bit immediates and stores the same bits as signed ones", () => {
    const a = encodeInstructions([{ ...mov64Imm(R0, 0), imm: 0xffffffff }], "little");
    const b = encodeInstructions([mov64Imm(R0, -1)], "little");
    expect(a).toEqual(b);
  });

  it.each([
    ["off", { off: 0x8000 }],
    ["imm", { imm: 2 ** 32 }],
    ["imm", { imm: 1.5 }],
    ["dst", { dst: 16 }],
    ["opcode", { opcode: 256 }],
  ])("refuses an out-of-range %s", (_what, patch) => {
    expectAsmError(() => encodeInstructions([{ ...mov64Imm(R0, 0), ...patch }], "little"), "BAD_FIELD", 0);
  });

  it("splits 64-bit immediates into signed halves", () => {
    expect(splitImm64(-1n)).toEqual({ imm: -1, immHi: -1 });
    expect(splitImm64(0xffffffffn)).toEqual({ imm: -1, immHi: 0 });
    expect(imm64(ldImm64(R0, -2n))).toBe(0xfffffffffffffffen);
  });
});

describe("decode on arbitrary bytes", () => {
  it("either throws AsmError or returns instructions that re-encode to the same bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.constantFrom("little" as const, "big" as const),
        fc.boolean(),
        (raw, endian, lenient) => {
          let insns: ReturnType<typeof decodeInstructions>;
          try {
            insns = decodeInstructions(raw, endian, { lenient });
          } catch (err) {
            expect(err).toBeInstanceOf(AsmError);
            return;
          }
          expect(encodeInstructions(insns, endian, { lenient: true })).toEqual(raw);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
