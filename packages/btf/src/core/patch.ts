// Writing a relocation result into raw instruction bytes (8-byte slots, either byte order), libbpf's
// bpf_core_patch_insn: ALU/ALU64 immediates, LDX/ST/STX offsets (+ memory size), LD_IMM64 64-bit immediates,
// and poisoning. Working on bytes keeps the engine independent of any instruction model; the loader decodes after.

import type { CoreReloResult } from "./calc.js";
import { CoreFailure } from "./errors.js";

/** Helper id of the invalid call libbpf plants for an unsatisfiable relocation (0xbad2310, "bad relo"). */
export const CORE_POISON_IMM = 195896080;

const CLASS_LD = 0x00;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const CLASS_ALU = 0x04;
const CLASS_JMP = 0x05;
const CLASS_ALU64 = 0x07;
const SRC_X = 0x08;
const OPCODE_CALL = CLASS_JMP | 0x80;
const OPCODE_LD_IMM64 = 0x18;
const SHRT_MAX = 32767n;

/** Byte size of a BPF_SIZE field (W, H, B, DW) by its bits 3-4. */
const SIZE_BYTES = [4, 2, 1, 8];
const SIZE_BITS: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/** Raw access to one instruction slot stream. */
export class InsnSlots {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get count(): number {
    return Math.floor(this.bytes.length / 8);
  }
  code(i: number): number {
    return this.bytes[i * 8]!;
  }
  setCode(i: number, code: number): void {
    this.bytes[i * 8] = code;
  }
  dst(i: number): number {
    const regs = this.bytes[i * 8 + 1]!;
    return this.littleEndian ? regs & 0xf : regs >> 4;
  }
  src(i: number): number {
    const regs = this.bytes[i * 8 + 1]!;
    return this.littleEndian ? regs >> 4 : regs & 0xf;
  }
  setRegs(i: number, dst: number, src: number): void {
    this.bytes[i * 8 + 1] = this.littleEndian ? (src << 4) | dst : (dst << 4) | src;
  }
  off(i: number): number {
    return this.view.getInt16(i * 8 + 2, this.littleEndian);
  }
  setOff(i: number, value: number): void {
    this.view.setInt16(i * 8 + 2, value, this.littleEndian);
  }
  imm(i: number): number {
    return this.view.getInt32(i * 8 + 4, this.littleEndian);
  }
  setImm(i: number, value: number): void {
    this.view.setInt32(i * 8 + 4, value, this.littleEndian);
  }
}

/** One line of the trace, as libbpf would print it at debug level (without its "libbpf: " prefix). */
export type TraceSink = (line: string) => void;

function u64(value: number): bigint {
  return BigInt.asUintN(64, BigInt(value));
}

function poisonSlot(slots: InsnSlots, index: number, prefix: string, trace: TraceSink): void {
  trace(`${prefix}substituting insn #${index} w/ invalid insn`);
  slots.setCode(index, OPCODE_CALL);
  slots.setRegs(index, 0, 0);
  slots.setOff(index, 0);
  slots.setImm(index, CORE_POISON_IMM);
}

export interface PatchOutcome {
  /** Instruction was replaced by the invalid call (both slots for ld_imm64). */
  readonly poisoned: boolean;
  /** What the instruction held before, as libbpf prints it (imm, off or imm64), unless poisoned. */
  readonly oldValue?: bigint;
}

/**
 * Applies `result` to the instruction at `index`. `prefix` is "prog 'NAME': relo #N: " for trace lines.
 * Throws CoreFailure (BAD_INSTRUCTION, UNEXPECTED_VALUE, OUT_OF_RANGE) where libbpf fails the load.
 */
export function patchInstruction(
  slots: InsnSlots,
  index: number,
  result: CoreReloResult,
  prefix: string,
  trace: TraceSink,
): PatchOutcome {
  const code = slots.code(index);
  const cls = code & 0x07;
  const isLdImm64 = code === OPCODE_LD_IMM64;
  if (isLdImm64 && index + 1 >= slots.count) {
    throw new CoreFailure("BAD_INSTRUCTION", `insn #${index} (LDIMM64) is missing its second slot`);
  }
  const poison = (): PatchOutcome => {
    // Poison the second ld_imm64 slot too, or the verifier would complain about "unknown opcode 00" instead.
    if (isLdImm64) poisonSlot(slots, index + 1, prefix, trace);
    poisonSlot(slots, index, prefix, trace);
    return { poisoned: true };
  };
  if (result.poison) return poison();

  const { origVal, newVal } = result;
  switch (cls) {
    case CLASS_ALU:
    case CLASS_ALU64: {
      if ((code & SRC_X) !== 0) {
        throw new CoreFailure("BAD_INSTRUCTION", `insn #${index} (ALU/ALU64) uses a register source, not an immediate`);
      }
      const imm = slots.imm(index);
      if (result.validate && u64(imm) !== origVal) {
        throw new CoreFailure(
          "UNEXPECTED_VALUE",
          `unexpected insn #${index} (ALU/ALU64) value: got ${imm >>> 0}, exp ${origVal} -> ${newVal}`,
        );
      }
      slots.setImm(index, Number(BigInt.asIntN(32, newVal)));
      trace(`${prefix}patched insn #${index} (ALU/ALU64) imm ${u64(imm)} -> ${newVal}`);
      return { poisoned: false, oldValue: u64(imm) };
    }
    case CLASS_LDX:
    case CLASS_ST:
    case CLASS_STX: {
      const off = slots.off(index);
      if (result.validate && u64(off) !== origVal) {
        throw new CoreFailure(
          "UNEXPECTED_VALUE",
          `unexpected insn #${index} (LDX/ST/STX) value: got ${off >>> 0}, exp ${origVal} -> ${newVal}`,
        );
      }
      if (newVal > SHRT_MAX) {
        throw new CoreFailure("OUT_OF_RANGE", `insn #${index} (LDX/ST/STX) value too big: ${newVal}`);
      }
      if (result.failMemSizeAdjust) {
        trace(
          `${prefix}insn #${index} (LDX/ST/STX) accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.`,
        );
        return poison();
      }
      slots.setOff(index, Number(newVal));
      trace(`${prefix}patched insn #${index} (LDX/ST/STX) off ${u64(off)} -> ${newVal}`);
      if (result.newSize !== result.origSize) {
        const currentSize = SIZE_BYTES[(code >> 3) & 0x3]!;
        if (currentSize !== result.origSize) {
          throw new CoreFailure(
            "BAD_INSTRUCTION",
            `insn #${index} (LDX/ST/STX) unexpected mem size: got ${currentSize}, exp ${result.origSize}`,
          );
        }
        const sizeBits = SIZE_BITS[result.newSize];
        if (sizeBits === undefined) {
          throw new CoreFailure("OUT_OF_RANGE", `insn #${index} (LDX/ST/STX) invalid new mem size: ${result.newSize}`);
        }
        slots.setCode(index, (code & 0xe0) | sizeBits | cls);
        trace(`${prefix}patched insn #${index} (LDX/ST/STX) mem_sz ${result.origSize} -> ${result.newSize}`);
      }
      return { poisoned: false, oldValue: u64(off) };
    }
    case CLASS_LD: {
      if (
        !isLdImm64 ||
        slots.src(index) !== 0 ||
        slots.off(index) !== 0 ||
        slots.code(index + 1) !== 0 ||
        slots.dst(index + 1) !== 0 ||
        slots.src(index + 1) !== 0 ||
        slots.off(index + 1) !== 0
      ) {
        throw new CoreFailure("BAD_INSTRUCTION", `insn #${index} (LDIMM64) has unexpected form`);
      }
      const imm = (BigInt(slots.imm(index + 1) >>> 0) << 32n) | BigInt(slots.imm(index) >>> 0);
      if (result.validate && imm !== origVal) {
        throw new CoreFailure(
          "UNEXPECTED_VALUE",
          `unexpected insn #${index} (LDIMM64) value: got ${imm}, exp ${origVal} -> ${newVal}`,
        );
      }
      slots.setImm(index, Number(BigInt.asIntN(32, newVal)));
      slots.setImm(index + 1, Number(BigInt.asIntN(32, newVal >> 32n)));
      trace(`${prefix}patched insn #${index} (LDIMM64) imm64 ${imm} -> ${newVal}`);
      return { poisoned: false, oldValue: imm };
    }
    default:
      throw new CoreFailure(
        "BAD_INSTRUCTION",
        `trying to relocate unrecognized insn #${index}, code:0x${code.toString(16)}, src:0x${slots.src(index).toString(16)}, dst:0x${slots.dst(index).toString(16)}, off:0x${(slots.off(index) & 0xffff).toString(16)}, imm:0x${(slots.imm(index) >>> 0).toString(16)}`,
      );
  }
}
