// What several map commands share: the map type classes bpftool distinguishes, the size of a lookup buffer, the
// map's BTF for formatted output, and the hex forms of keys and values.
import { bpftoolMapType, MapType } from "@bpfkit/asm";
import type { Btf } from "@bpfkit/btf";
import { mapInfoKeepsCallerFields, possibleCpus } from "@bpfkit/kernel";
import type { Backend, MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import { btfById, vmlinuxBtf } from "../../cli/btf-by-id.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { mapInfoKeepsCallerFieldsByBtf } from "../../cli/kernel-facts.js";
import type { JsonWriter } from "../../json-writer.js";

export function isPerCpu(type: number): boolean {
  return (
    type === MapType.PERCPU_HASH ||
    type === MapType.PERCPU_ARRAY ||
    type === MapType.LRU_PERCPU_HASH ||
    type === MapType.PERCPU_CGROUP_STORAGE
  );
}

export function isMapOfMaps(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

export function isMapOfProgs(type: number): boolean {
  return type === MapType.PROG_ARRAY;
}

/** Bytes between two CPUs' values in a per-CPU lookup. */
export function perCpuStride(info: MapInfo): number {
  return Math.ceil(info.valueSize / 8) * 8;
}

/** Bytes a lookup writes: the value, or one 8-byte aligned slot per possible CPU. */
export function valueBufferSize(info: MapInfo): number {
  return isPerCpu(info.type) ? perCpuStride(info) * possibleCpus() : info.valueSize;
}

/**
 * bpftool's get_map_kv_btf: the BTF that describes the map's values (vmlinux for struct_ops maps), or undefined
 * when the map has no value type. `backend` is where the map lives (by default where MAP resolves: the kernel, or
 * the VM with --backend vm).
 */
export async function mapValueBtf(ctx: Context, info: MapInfo, backend?: Backend): Promise<Btf | undefined> {
  if (info.btfVmlinuxValueTypeId !== 0) {
    try {
      return vmlinuxBtf();
    } catch (error) {
      throw new CliError("failed to get kernel btf", { cause: error });
    }
  }
  if (info.btfValueTypeId === 0) return undefined;
  const owner = backend ?? (await ctx.objectBackend());
  try {
    return btfById(owner, info.btfId);
  } catch (error) {
    throw new CliError("failed to get btf", { cause: error });
  }
}

/** The value type id bpftool formats: the vmlinux type for struct_ops maps, else the map's own. */
export function valueTypeId(info: MapInfo): number {
  return info.btfVmlinuxValueTypeId !== 0 ? info.btfVmlinuxValueTypeId : info.btfValueTypeId;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** bpftool's fprint_hex with a " " separator: `01 00 00 00`, two spaces after 8 bytes, a new line after 16. */
export function hexBytes(bytes: Uint8Array, length = bytes.length): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    if (i !== 0) out += i % 16 === 0 ? "\n" : i % 8 === 0 ? "  " : " ";
    out += HEX[bytes[i] as number];
  }
  return out;
}

/** bpftool's show_map_header_json: id, type, name, flags. */
export function writeMapHeaderJson(json: JsonWriter, info: MapInfo): void {
  json.numberField("id", info.id);
  const type = bpftoolMapType(info.type);
  if (typeof type === "string") json.stringField("type", type);
  else json.numberField("type", type);
  if (info.name !== "") json.stringField("name", info.name);
  json.name("flags").number(info.flags | 0);
}

/** bpftool's BAD_ARG: "what is 'WORD'?" for the word at the cursor. */
export function badArg(args: Args): CliError {
  return new CliError(`what is '${args.peek() ?? ""}'?`);
}

/**
 * bpftool reuses one `struct bpf_map_info` across the maps of a listing (and of a `name` that matches several):
 * on kernels that keep what the struct held (asked of the kernel, not read off its version), a map without BTF shows the previous map's `btf_id`, and its dump
 * uses the previous map's BTF. This keeps that state, so listings match bpftool's on the kernel it runs on.
 */
export class ReusedMapInfo {
  #last: MapInfo | undefined;
  readonly #sticky: boolean;

  /**
   * `kernel`: whether the maps are the kernel's, which is asked; the VM's (--backend vm) follow the running kernel
   * as its BTF tells, without bpf(2).
   */
  constructor(kernel = true) {
    this.#sticky = kernel ? mapInfoKeepsCallerFields() : mapInfoKeepsCallerFieldsByBtf();
  }

  /** `info` as bpftool's reused struct would hold it after the kernel filled it in. */
  next(info: MapInfo): MapInfo {
    if (!this.#sticky) return info;
    const last = this.#last;
    let merged = info;
    if (last !== undefined) {
      if (info.btfId === 0)
        merged = {
          ...merged,
          btfId: last.btfId,
          btfKeyTypeId: last.btfKeyTypeId,
          btfValueTypeId: last.btfValueTypeId,
        };
      if (info.ifindex === 0)
        merged = { ...merged, ifindex: last.ifindex, netnsDev: last.netnsDev, netnsIno: last.netnsIno };
    }
    this.#last = merged;
    return merged;
  }
}
