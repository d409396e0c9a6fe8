// What the kernel hashes for a program's tag (bpf_prog_calc_tag, kernel/bpf/core.c): the instructions as
// BPF_PROG_LOAD received them, with both imm fields of every map reference (LD_IMM64 with BPF_PSEUDO_MAP_FD or
// BPF_PSEUDO_MAP_VALUE) zeroed, since map fds differ from one load to the next. The tag is the first 8 bytes of
// the digest: SHA-256 from Linux 6.18 on (which keeps the whole digest, for signed programs), SHA-1 before.
// Callers hash with what they have (node:crypto in the CLI, a pure SHA-256 in the VM).

import { PseudoLd } from "./opcodes.js";

const LD_IMM64 = 0x18;

/** The bytes bpf_prog_calc_tag hashes for `insns` (little-endian instructions). */
export function progTagInput(insns: Uint8Array): Uint8Array {
  const copy = insns.slice(0, insns.length - (insns.length % 8));
  let wasLdMap = false;
  for (let at = 0; at < copy.length; at += 8) {
    const src = copy[at + 1]! >> 4;
    const dst = copy[at + 1]! & 0xf;
    const off = copy[at + 2]! | copy[at + 3]!;
    if (!wasLdMap && copy[at] === LD_IMM64 && (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_VALUE)) {
      wasLdMap = true;
      copy.fill(0, at + 4, at + 8);
    } else if (wasLdMap && copy[at] === 0 && dst === 0 && src === 0 && off === 0) {
      wasLdMap = false;
      copy.fill(0, at + 4, at + 8);
    } else {
      wasLdMap = false;
    }
  }
  return copy;
}

/** The tag's 16 hex digits from a digest of progTagInput(). */
export function progTagHex(digest: Uint8Array): string {
  let hex = "";
  for (const byte of digest.subarray(0, 8)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
