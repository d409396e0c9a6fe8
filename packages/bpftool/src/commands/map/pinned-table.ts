// Mounted bpf file systems, where bpftool's build_pinned_obj_table (-f) looks for pinned objects. The table itself
// (libbpf's hashmap order included) is in ../prog/pinned.ts and serves maps too.
import { readFileSync } from "node:fs";

/** Mount points of bpf file systems, from /proc/mounts (octal escapes such as \040 decoded). */
export function bpffsMounts(): string[] {
  let text: string;
  try {
    text = readFileSync("/proc/mounts", "utf8");
  } catch {
    return [];
  }
  const mounts: string[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 3 || !(fields[2] as string).startsWith("bpf")) continue;
    mounts.push(
      (fields[1] as string).replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))),
    );
  }
  return mounts;
}
