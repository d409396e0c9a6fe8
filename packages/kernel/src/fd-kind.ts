// What a descriptor refers to, from its /proc/self/fd link: the kernel names the anonymous inodes of bpf objects
// `anon_inode:bpf-map`, `bpf-prog` and `btf`, and links `bpf_link` when created but `bpf-link` when opened again
// (by pin or id). Used to label descriptors of unknown kind (BPF_OBJ_GET)
// and to refuse map commands on descriptors that are not maps before any info struct is misread. One readlink(2)
// (~5 µs) where reading /proc/self/fdinfo costs an open, a formatted read and a close (~10-30 µs): bpftool's
// batch files pay it once per command.
import { readlinkSync } from "node:fs";
import type { ObjectKind } from "@bpfkit/loader";

const KINDS: Readonly<Record<string, ObjectKind>> = {
  "anon_inode:bpf-map": "map",
  "anon_inode:bpf-prog": "prog",
  "anon_inode:bpf_link": "link",
  "anon_inode:bpf-link": "link",
  "anon_inode:btf": "btf",
};

export function fdKind(fd: number): ObjectKind | undefined {
  try {
    return KINDS[readlinkSync(`/proc/self/fd/${fd}`)];
  } catch {
    return undefined;
  }
}
