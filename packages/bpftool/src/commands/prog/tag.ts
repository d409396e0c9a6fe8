// The tag the kernel gives a program (bpf_prog_calc_tag), for programs it never saw: the instructions of an object
// read without loading it (object-dump.ts), and programs loaded into the userspace VM (cli/vm-backend.ts). Which
// hash the running kernel uses: cli/kernel-facts.ts.
import { createHash } from "node:crypto";
import { progTagHex, progTagInput } from "@bpfkit/asm";
import type { TagHash } from "../../cli/kernel-facts.js";

/** The kernel's bpf_prog_calc_tag with the running kernel's hash (SHA-256 from Linux 6.18 on, else SHA-1). */
export function progTag(insns: Uint8Array, hash: TagHash): string {
  return progTagHex(createHash(hash).update(progTagInput(insns)).digest());
}
