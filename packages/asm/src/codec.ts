// Byte encoding of instructions. Each slot is 8 bytes: opcode, registers, off (16 bits), imm (32 bits).
// The register byte differs by byte order: little-endian objects store `src << 4 | dst`, big-endian ones
// `dst << 4 | src` (the C bitfields are laid out from the other end). off and imm follow the byte order.
import { AsmError } from "./errors.js";
import type { Instruction } from "./instruction.js";
import { LD_IMM64 } from "./opcodes.js";
import { opcodeProblem, registerProblem } from "./validate.js";

export type Endian = "little" | "big";

/** Size of one instruction slot in bytes. */
export const SLOT_SIZE = 8;

export interface DecodeOptions {
  /**
   * Accept opcodes and registers the instruction set does not define (kernel-internal forms such as ST|NOSPEC or
   * r11 in xlated dumps). They decode into raw fields and disassemble the way the kernel prints them. The byte
   * length and ld_imm64 structure are still checked.
   */
  readonly lenient?: boolean;
}

/** Decodes instruction bytes (a whole number of 8-byte slots) into instructions; ld_imm64 becomes one entry. */
export function decodeInstructions(bytes: Uint8Array, endian: Endian, options: DecodeOptions = {}): Instruction[] {
  if (bytes.length % SLOT_SIZE !== 0) {
    const index = Math.floor(bytes.length / SLOT_SIZE);
    throw new AsmError("TRUNCATED", `instruction bytes length ${bytes.length} is not a multiple of 8`, {
      index,
      byteOffset: index * SLOT_SIZE,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = endian === "little";
  const slots = bytes.length / SLOT_SIZE;
  const out: Instruction[] = [];
  for (let index = 0; index < slots; index++) {
    const at = index * SLOT_SIZE;
    const opcode = bytes[at]!;
    const regs = bytes[at + 1]!;
    const dst = little ? regs & 0x0f : regs >> 4;
    const src = little ? regs >> 4 : regs & 0x0f;
    const off = view.getInt16(at + 2, little);
    const imm = view.getInt32(at + 4, little);
    if (!options.lenient) {
      const problem = opcodeProblem(opcode, imm) ?? registerProblem(dst, src);
      if (problem) throw new AsmError(problem.code, problem.message, { index, byteOffset: at });
    }
    if (opcode !== LD_IMM64) {
      out.push({ opcode, dst, src, off, imm });
      continue;
    }
    if (index + 1 >= slots) {
      throw new AsmError("TRUNCATED", "ld_imm64 is missing its second slot", { index, byteOffset: at });
    }
    const next = at + SLOT_SIZE;
    if (bytes[next] !== 0 || bytes[next + 1] !== 0 || view.getInt16(next + 2, little) !== 0) {
      throw new AsmError("BAD_LD_IMM64", "second slot of ld_imm64 must have zero opcode, registers and offset", {
        index: index + 1,
        byteOffset: next,
      });
    }
    out.push({ opcode, dst, src, off, imm, immHi: view.getInt32(next + 4, little) });
    index++;
  }
  return out;
}

export interface EncodeOptions {
  /** Encode opcodes and registers the instruction set does not define (see DecodeOptions.lenient). */
  readonly lenient?: boolean;
}

function checkInt(value: unknown, min: number, max: number, what: string, index: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new AsmError("BAD_FIELD", `${what} ${String(value)} is not an integer in [${min}, ${max}]`, { index });
  }
  return value;
}

/**
 * Encodes instructions to bytes. imm/immHi accept signed or unsigned 32-bit values, off signed 16-bit values.
 * Metadata fields are ignored. The inverse of decodeInstructions: round trips are byte-identical.
 */
export function encodeInstructions(
  insns: readonly Instruction[],
  endian: Endian,
  options: EncodeOptions = {},
): Uint8Array {
  let slots = 0;
  for (const insn of insns) slots += insn.opcode === LD_IMM64 ? 2 : 1;
  const bytes = new Uint8Array(slots * SLOT_SIZE);
  const view = new DataView(bytes.buffer);
  const little = endian === "little";
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const opcode = checkInt(insn.opcode, 0, 0xff, "opcode", slot);
    const dst = checkInt(insn.dst, 0, 0x0f, "dst register", slot);
    const src = checkInt(insn.src, 0, 0x0f, "src register", slot);
    const off = checkInt(insn.off, -0x8000, 0x7fff, "offset", slot);
    const imm = checkInt(insn.imm, -0x8000_0000, 0xffff_ffff, "imm", slot) | 0;
    if (!options.lenient) {
      const problem = opcodeProblem(opcode, imm) ?? registerProblem(dst, src);
      if (problem) throw new AsmError(problem.code, problem.message, { index: slot, byteOffset: slot * SLOT_SIZE });
    }
    const at = slot * SLOT_SIZE;
    bytes[at] = opcode;
    bytes[at + 1] = little ? (src << 4) | dst : (dst << 4) | src;
    view.setInt16(at + 2, off, little);
    view.setInt32(at + 4, imm, little);
    slot++;
    if (opcode === LD_IMM64) {
      const hi = checkInt(insn.immHi ?? 0, -0x8000_0000, 0xffff_ffff, "immHi", slot) | 0;
      view.setInt32(at + SLOT_SIZE + 4, hi, little);
      slot++;
    }
  }
  return bytes;
}
