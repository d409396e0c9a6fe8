// What the reference bpftool's libbpf (the kernel 6.1 tree's) does with global data maps, where our loader follows
// newer libbpf: `prog load`/`loadall` and `gen skeleton` both make the objects that libbpf made.
import { BPF_F_MMAPABLE, type MapSpec } from "@bpfkit/loader";

/** libbpf's internal maps: global data (.data, .rodata, .bss and their named variants) and .kconfig. */
export function isInternalMap(map: MapSpec): boolean {
  return map.kind === "data" || map.kind === "rodata" || map.kind === "bss" || map.kind === "kconfig";
}

/**
 * The map's flags as that libbpf creates it: every internal map mmapable (later ones only those with a non-static
 * variable, e.g. not a .rodata of string literals).
 */
export function libbpf61MapFlags(map: MapSpec): number {
  return isInternalMap(map) ? map.flags | BPF_F_MMAPABLE : map.flags;
}
