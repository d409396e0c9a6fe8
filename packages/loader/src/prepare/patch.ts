// Applying the recorded map / data / extern relocations to linked program bytes (libbpf's
// bpf_object__relocate_data): map references become BPF_PSEUDO_MAP_FD with the map's fd, global data
// BPF_PSEUDO_MAP_VALUE with the offset in the second half, kconfig values point into the .kconfig map, ksyms get
// an address or a BTF id, kfunc calls BPF_PSEUDO_KFUNC_CALL with the module's fd_array index in `off`.

import { LoaderError } from "../errors.js";
import type { RecordedRelocation } from "../object/spec.js";
import type { ResolvedKsym } from "./ksyms.js";

const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
const PSEUDO_BTF_ID = 3;
const PSEUDO_KFUNC_CALL = 2;
/** libbpf's MAP_LDIMM64_POISON_BASE: "invalid func unknown#2001000<map index>" names a map that was not created. */
export const MAP_POISON_BASE = 2001000000;

export interface PatchContext {
  readonly program: string;
  readonly little: boolean;
  /** fd per map name; a map absent here but listed in `skippedMaps` gets its references poisoned. */
  readonly mapFds: ReadonlyMap<string, number>;
  /** Index of every map in the spec (for poison values). */
  readonly mapIndex: ReadonlyMap<string, number>;
  readonly skippedMaps: ReadonlySet<string>;
  /** Name of the .kconfig map and each kconfig extern's offset in it. */
  readonly kconfigMap: string | undefined;
  readonly kconfigOffsets: ReadonlyMap<string, number>;
  readonly ksyms: ReadonlyMap<string, ResolvedKsym>;
}

export function applyRelocations(
  bytes: Uint8Array,
  relocations: readonly RecordedRelocation[],
  ctx: PatchContext,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = ctx.little;
  const setSrc = (at: number, src: number) => {
    const r = bytes[at + 1]!;
    bytes[at + 1] = le ? (src << 4) | (r & 0x0f) : (r & 0xf0) | src;
  };
  const fdOf = (map: string, insn: number): number | undefined => {
    const fd = ctx.mapFds.get(map);
    if (fd !== undefined) return fd;
    if (ctx.skippedMaps.has(map)) return undefined;
    throw new LoaderError("UNRESOLVED", `prog '${ctx.program}': no fd for map '${map}' (insn #${insn})`, {
      program: ctx.program,
      map,
      insn,
    });
  };
  const poison = (at: number, map: string) => {
    for (const slot of [at, at + 8]) {
      bytes[slot] = 0x85;
      bytes[slot + 1] = 0;
      view.setInt16(slot + 2, 0, le);
      view.setInt32(slot + 4, MAP_POISON_BASE + (ctx.mapIndex.get(map) ?? 0), le);
    }
  };

  for (const { insn, target } of relocations) {
    const at = insn * 8;
    switch (target.kind) {
      case "map": {
        const fd = fdOf(target.map, insn);
        if (fd === undefined) poison(at, target.map);
        else {
          setSrc(at, PSEUDO_MAP_FD);
          view.setInt32(at + 4, fd, le);
        }
        break;
      }
      case "data": {
        const fd = fdOf(target.map, insn);
        view.setInt32(at + 12, view.getInt32(at + 4, le) + target.offset, le);
        if (fd === undefined) poison(at, target.map);
        else {
          setSrc(at, PSEUDO_MAP_VALUE);
          view.setInt32(at + 4, fd, le);
        }
        break;
      }
      case "extern-var": {
        const offset = ctx.kconfigOffsets.get(target.extern);
        if (offset !== undefined && ctx.kconfigMap) {
          const fd = fdOf(ctx.kconfigMap, insn)!;
          setSrc(at, PSEUDO_MAP_VALUE);
          view.setInt32(at + 4, fd, le);
          view.setInt32(at + 12, offset, le);
          break;
        }
        const ksym = ctx.ksyms.get(target.extern);
        if (!ksym) {
          throw new LoaderError("UNRESOLVED", `prog '${ctx.program}': extern '${target.extern}' was not resolved`, {
            program: ctx.program,
            symbol: target.extern,
            insn,
          });
        }
        if (ksym.kind === "btf-var" || ksym.kind === "kfunc") {
          // typed variable, or the address of a kfunc (e.g. `if (bpf_rcu_read_lock)` on a weak kfunc)
          setSrc(at, PSEUDO_BTF_ID);
          view.setInt32(at + 4, ksym.btfId, le);
          view.setInt32(at + 12, ksym.btfFd, le);
        } else {
          const address = ksym.kind === "address" ? ksym.address : 0n;
          view.setUint32(at + 4, Number(address & 0xffffffffn), le);
          view.setUint32(at + 12, Number((address >> 32n) & 0xffffffffn), le);
        }
        break;
      }
      case "extern-func": {
        const ksym = ctx.ksyms.get(target.extern);
        setSrc(at, PSEUDO_KFUNC_CALL);
        if (ksym?.kind === "kfunc") {
          view.setInt32(at + 4, ksym.btfId, le);
          view.setInt16(at + 2, ksym.fdIndex, le);
        } else if (ksym?.kind === "unresolved-weak") {
          view.setInt32(at + 4, 0, le);
          view.setInt16(at + 2, 0, le);
        } else {
          throw new LoaderError("UNRESOLVED", `prog '${ctx.program}': kfunc '${target.extern}' was not resolved`, {
            program: ctx.program,
            symbol: target.extern,
            insn,
          });
        }
        break;
      }
      case "call":
      case "subprog-addr":
        // done by linking
        break;
    }
  }
}
