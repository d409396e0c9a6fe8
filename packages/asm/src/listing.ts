// Whole-program listings in bpftool's layout: `printf("% 4d: ", i)` before each instruction, where i is the slot
// index (an ld_imm64 takes two indices, only the first is printed).
import { type BpftoolJsonOpcodes, bpftoolJsonOpcodes } from "./bpftool-xlated.js";
import { encodeInstructions } from "./codec.js";
import { type FormatOptions, formatInstruction } from "./disasm.js";
import { type Instruction, width } from "./instruction.js";

export interface ListingOptions extends FormatOptions {
  /** Append each instruction's bytes on the next line, as `bpftool prog dump xlated ... opcodes` does. */
  readonly opcodes?: boolean;
}

/** printf "% 4d": a space where the sign would be, then padded to width 4. */
export function formatIndex(index: number): string {
  return ` ${index}`.padStart(4, " ");
}

const hexBytes = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/** Lines of `bpftool prog dump xlated` (without BTF func/source annotations), e.g. `   0: (b7) r0 = 2`. */
export function disassemble(insns: readonly Instruction[], options: ListingOptions = {}): string[] {
  const lines: string[] = [];
  let slot = 0;
  for (const insn of insns) {
    lines.push(`${formatIndex(slot)}: ${formatInstruction(insn, options)}`);
    if (options.opcodes) {
      const bytes = encodeInstructions([insn], "little", { lenient: true });
      const shown =
        width(insn) === 2 ? `${hexBytes(bytes.subarray(0, 8))} ${hexBytes(bytes.subarray(8))}` : hexBytes(bytes);
      lines.push(`       ${shown}`);
    }
    slot += width(insn);
  }
  return lines;
}

export interface XlatedJsonInsn {
  disasm: string;
  opcodes?: BpftoolJsonOpcodes;
}

/** Entries of `bpftool -j prog dump xlated [opcodes]` (without BTF `proto`/`src` keys). */
export function disassembleJson(insns: readonly Instruction[], options: ListingOptions = {}): XlatedJsonInsn[] {
  return insns.map((insn) => {
    const entry: XlatedJsonInsn = { disasm: formatInstruction(insn, options) };
    if (options.opcodes) entry.opcodes = bpftoolJsonOpcodes(encodeInstructions([insn], "little", { lenient: true }));
    return entry;
  });
}
