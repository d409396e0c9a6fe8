import { LD_IMM64 } from "./opcodes.js";

/** Register number: r0..r10 (r11 appears only in kernel-internal code, e.g. constant blinding). */
export type Register = number;

export const R0: Register = 0;
export const R1: Register = 1;
export const R2: Register = 2;
export const R3: Register = 3;
export const R4: Register = 4;
export const R5: Register = 5;
export const R6: Register = 6;
export const R7: Register = 7;
export const R8: Register = 8;
export const R9: Register = 9;
/** Frame pointer (read-only). */
export const R10: Register = 10;

/** Source position of an instruction (from .BTF.ext line_info). */
export interface SourceLine {
  readonly file?: string;
  readonly line: number;
  readonly column: number;
  /** The source text of that line, when known. */
  readonly text?: string;
}

/** Function an instruction starts (from .BTF.ext func_info). */
export interface FuncInfo {
  readonly name?: string;
  /** BTF type id of the FUNC. */
  readonly typeId: number;
}

/**
 * One eBPF instruction. Fields hold the raw encoding so that decode/encode round trips are byte-identical:
 * `off` is a signed 16-bit value and `imm` a signed 32-bit value, exactly as in `struct bpf_insn`.
 *
 * A 64-bit immediate load (`LD | IMM | DW`, opcode 0x18) is ONE instruction that occupies two 8-byte slots;
 * `immHi` holds the imm of its second slot (the upper 32 bits) and is present exactly for that opcode.
 * The optional metadata fields are for the loader (relocation targets, BTF line/func info); encoding ignores them.
 */
export interface Instruction {
  readonly opcode: number;
  readonly dst: Register;
  readonly src: Register;
  readonly off: number;
  readonly imm: number;
  readonly immHi?: number;
  /** Label defined at this instruction, e.g. the name of the function that starts here. */
  readonly symbol?: string;
  /** Symbol this instruction refers to (map, data section, subprogram, extern) until the loader binds it. */
  readonly reference?: string;
  readonly line?: SourceLine;
  readonly func?: FuncInfo;
}

/** True for the two-slot 64-bit immediate load. */
export function isLdImm64(insn: Pick<Instruction, "opcode">): boolean {
  return insn.opcode === LD_IMM64;
}

/** Number of 8-byte slots the instruction occupies (2 for ld_imm64, else 1). */
export function width(insn: Pick<Instruction, "opcode">): 1 | 2 {
  return insn.opcode === LD_IMM64 ? 2 : 1;
}

/** The full immediate of an ld_imm64 as an unsigned 64-bit value (`(u64)hi << 32 | (u32)lo`), 0 if absent. */
export function imm64(insn: Pick<Instruction, "imm" | "immHi">): bigint {
  return (BigInt((insn.immHi ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** Splits any 64-bit value (signed or unsigned) into the signed 32-bit halves an ld_imm64 stores. */
export function splitImm64(value: bigint): { imm: number; immHi: number } {
  const v = BigInt.asUintN(64, value);
  return { imm: Number(BigInt.asIntN(32, v)), immHi: Number(BigInt.asIntN(32, v >> 32n)) };
}

/** Copy of an ld_imm64 with a new 64-bit immediate. */
export function withImm64(insn: Instruction, value: bigint): Instruction {
  return { ...insn, ...splitImm64(value) };
}

/** Slot index of every instruction (what the kernel and bpftool number instructions by). */
export function slotIndexes(insns: readonly Instruction[]): number[] {
  const out = new Array<number>(insns.length);
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    out[i] = slot;
    slot += width(insns[i]!);
  }
  return out;
}

/** Total number of 8-byte slots (the program length the kernel counts). */
export function slotCount(insns: readonly Instruction[]): number {
  let n = 0;
  for (const insn of insns) n += width(insn);
  return n;
}
