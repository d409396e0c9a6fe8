// The tag the kernel gives a program (bpf_prog_calc_tag), for programs it never saw: the instructions of an object
// read without loading it (object-dump.ts), and programs loaded into the userspace VM (cli/vm-backend.ts). Which
// hash the running kernel uses: cli/kernel-facts.ts.
import { createHash } from "node:crypto";
import { PseudoLd } from "@bpfkit/asm";
import type { TagHash } from "../../cli/kernel-facts.js";

const LD_IMM64 = 0x18;

/**
 * The kernel's bpf_prog_calc_tag: the first 8 bytes of a hash of the instructions with each map reference's two imm
 * fields zeroed; SHA-256 on kernels that keep the whole digest (Linux 6.18 on, for signed programs), else SHA-1.
 */
export function progTag(insns: Uint8Array, hash: TagHash): string {
  const copy = new Uint8Array(insns);
  let wasLdMap = false;
  for (let at = 0; at + 8 <= copy.length; at += 8) {
    const code = copy[at]!;
    const src = copy[at + 1]! >> 4;
    const dst = copy[at + 1]! & 0xf;
    const off = copy[at + 2]! | copy[at + 3]!;
    if (!wasLdMap && code === LD_IMM64 && (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_VALUE)) {
      wasLdMap = true;
      copy.fill(0, at + 4, at + 8);
    } else if (wasLdMap && code === 0 && dst === 0 && src === 0 && off === 0) {
      wasLdMap = false;
      copy.fill(0, at + 4, at + 8);
    } else {
      wasLdMap = false;
    }
  }
  return createHash(hash).update(copy).digest("hex").slice(0, 16);
}
