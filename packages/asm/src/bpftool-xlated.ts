// The naming bpftool applies to `prog dump xlated` (tools/bpf/bpftool/xlated_dumper.c: print_call, print_imm),
// rebuilt as a Symbolizer. In xlated code the kernel has rewritten helper call imms to offsets from
// __bpf_call_base, so bpftool names calls by looking the address up in /proc/kallsyms; bpf-to-bpf calls carry
// the callee's index into the program's jited_ksyms. The caller supplies kallsyms text/entries and jited_ksyms
// (this package never reads files).
import type { Symbolizer } from "./disasm.js";
import type { Instruction } from "./instruction.js";
import { PseudoCall, PseudoLd } from "./opcodes.js";

export interface KernelSymbol {
  readonly address: bigint;
  readonly name: string;
}

/**
 * Parses /proc/kallsyms text the way bpftool does: `ADDRESS TYPE NAME [module]`, keeping symbols with a non-zero
 * address. If `__bpf_call_base` is listed with address 0 (kptr_restrict hides addresses) bpftool drops the whole
 * table; so do we.
 */
export function parseKallsyms(text: string): KernelSymbol[] {
  // Lines are "ADDRESS TYPE NAME" with single spaces, then optionally "\t[module]". Scanning with indexOf is twice
  // as fast as split/regex per line over the ~120k lines.
  const out: KernelSymbol[] = [];
  for (let pos = 0; pos < text.length; ) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = text.length;
    const lineStart = pos;
    pos = eol + 1;
    const afterAddress = text.indexOf(" ", lineStart);
    if (afterAddress <= lineStart || afterAddress > eol || !isHex(text, lineStart, afterAddress)) continue;
    const afterType = text.indexOf(" ", afterAddress + 1);
    if (afterType < 0 || afterType >= eol) continue;
    let nameEnd = afterType + 1;
    while (nameEnd < eol && text.charCodeAt(nameEnd) > 0x20) nameEnd++;
    if (nameEnd === afterType + 1) continue;
    const address = BigInt(`0x${text.slice(lineStart, afterAddress)}`);
    const name = text.slice(afterType + 1, nameEnd);
    if (name === "__bpf_call_base" && address === 0n) return [];
    if (address !== 0n) out.push({ address, name });
  }
  return out;
}

function isHex(text: string, from: number, to: number): boolean {
  if (to - from > 16) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

export interface BpftoolXlatedOptions {
  /** Kernel symbols, e.g. `parseKallsyms(readFileSync("/proc/kallsyms", "utf8"))`. */
  readonly kallsyms: readonly KernelSymbol[];
  /** Addresses of the program's JITed functions (bpf_prog_info.jited_ksyms), in subprogram order. */
  readonly jitedKsyms?: readonly bigint[];
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** Symbolizer that prints what bpftool 7.1 prints for xlated instructions of a loaded program. */
export function bpftoolXlatedSymbolizer(options: BpftoolXlatedOptions): Symbolizer {
  const byAddress = new Map<bigint, string>();
  let callBase = 0n;
  for (const sym of options.kallsyms) {
    if (sym.name === "__bpf_call_base") callBase = sym.address;
    // Several names can share an address; bpftool's sorted search returns one of them, we keep the first.
    if (!byAddress.has(sym.address)) byAddress.set(sym.address, sym.name);
  }
  const jited = options.jitedKsyms ?? [];
  return {
    call(insn: Instruction): string {
      let address = U64(callBase + BigInt(insn.imm));
      if (insn.src === PseudoCall.CALL && insn.imm >>> 0 < jited.length) address = jited[insn.imm >>> 0]!;
      const name = byAddress.get(address);
      if (insn.src === PseudoCall.CALL) {
        // xlated bpf-to-bpf calls keep the relative offset in `off` and the callee index in `imm`.
        const rel = insn.off < 0 ? `${insn.off}` : `+${insn.off}`;
        if (jited.length === 0) return rel;
        return name !== undefined ? `${rel}#${name}` : `${rel}#0x${address.toString(16)}`;
      }
      return name ?? `0x${address.toString(16)}`;
    },
    imm64(insn: Instruction, value: bigint): string {
      switch (insn.src) {
        case PseudoLd.MAP_FD:
          return `map[id:${insn.imm >>> 0}]`;
        case PseudoLd.MAP_VALUE:
          return `map[id:${insn.imm >>> 0}][0]+${(insn.immHi ?? 0) >>> 0}`;
        case PseudoLd.MAP_IDX_VALUE:
          return `map[idx:${insn.imm >>> 0}]+${(insn.immHi ?? 0) >>> 0}`;
        case PseudoLd.FUNC:
          return `subprog[${insn.imm < 0 ? insn.imm : `+${insn.imm}`}]`;
        default:
          return `0x${value.toString(16)}`;
      }
    },
  };
}

/** The `opcodes` object of `bpftool -j prog dump xlated ... opcodes` for one instruction (host = little-endian). */
export interface BpftoolJsonOpcodes {
  code: string;
  src_reg: string;
  dst_reg: string;
  off: string[];
  imm: string[];
}

const byteHex = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;

/**
 * JSON opcodes of one instruction given its encoded little-endian bytes (8, or 16 for ld_imm64): off as its two
 * bytes, imm as 4 bytes, or for ld_imm64 12 bytes (imm plus the whole second slot), as bpftool prints them.
 */
export function bpftoolJsonOpcodes(bytes: Uint8Array): BpftoolJsonOpcodes {
  const list = (from: number, to: number) => Array.from(bytes.subarray(from, to), byteHex);
  return {
    code: byteHex(bytes[0]!),
    src_reg: `0x${(bytes[1]! >> 4).toString(16)}`,
    dst_reg: `0x${(bytes[1]! & 0x0f).toString(16)}`,
    off: list(2, 4),
    imm: list(4, bytes.length >= 16 ? 16 : 8),
  };
}
