// What a descriptor refers to, from /proc/self/fdinfo: bpf files print `map_type:`, `prog_type:`, `link_type:`
// or `btf_id:` there. Used to label descriptors of unknown kind (BPF_OBJ_GET) and to refuse map commands on
// descriptors that are not maps before any info struct is misread.
import { readFileSync } from "node:fs";
import type { ObjectKind } from "@bpfkit/loader";

export function fdKind(fd: number): ObjectKind | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
  } catch {
    return undefined;
  }
  if (/^map_type:/m.test(text)) return "map";
  if (/^prog_type:/m.test(text)) return "prog";
  if (/^link_type:/m.test(text)) return "link";
  if (/^btf_id:/m.test(text)) return "btf";
  return undefined;
}
