// struct_ops maps against the kernel's BTF (libbpf 1.1's find_struct_ops_kern_types and
// bpf_map__init_kern_struct_ops, run before maps are created): the object's `struct T` is matched by name with the
// kernel's `struct T` and with `struct bpf_struct_ops_T`, the map value the kernel takes (a header, then `T data`).
// The map is created with value_size = sizeof(bpf_struct_ops_T) and btf_vmlinux_value_type_id = its id; every
// non-pointer member is copied by name into the kernel layout; every bound program is loaded with
// attach_btf_id = T's id and expected_attach_type = the kernel's index of its member. Program fds go into the
// value only when it is registered (structOpsValue). Pure: kernel BTF comes in as a view.

import { Btf, type CoreBtf, Kind, kindString, resolveSize, skipModsAndTypedefs } from "@bpfkit/btf";
import { LoaderError } from "../errors.js";
import type { MapSpec, ObjectSpec } from "../object/spec.js";
import { BPF_F_LINK, isFuncPointer } from "../object/struct-ops.js";
import type { KernelBtfView } from "./ksyms.js";

/** Prefix of the kernel's value type for struct T (libbpf's STRUCT_OPS_VALUE_PREFIX). */
export const STRUCT_OPS_VALUE_PREFIX = "bpf_struct_ops_";

/** A function pointer of the kernel value that receives a program's fd at registration. */
export interface StructOpsSlot {
  readonly member: string;
  readonly program: string;
  /** Index of the member in the kernel's struct: the program's expected_attach_type. */
  readonly memberIndex: number;
  /** Byte offset of the pointer in the kernel value (`bpf_struct_ops_T`). */
  readonly offset: number;
}

/** A struct_ops map laid out for the running kernel. */
export interface PreparedStructOps {
  readonly map: string;
  /** The struct's name, e.g. `tcp_congestion_ops`. */
  readonly typeName: string;
  /** Kernel BTF id of `struct T`: every bound program's attach_btf_id. */
  readonly kernelTypeId: number;
  /** Kernel BTF id of `struct bpf_struct_ops_T`: the map's btf_vmlinux_value_type_id. */
  readonly valueTypeId: number;
  /** sizeof(struct bpf_struct_ops_T): the map's value_size. */
  readonly valueSize: number;
  /** The kernel value with the object's non-pointer members copied in; function pointers still zero. */
  readonly value: Uint8Array;
  readonly functions: readonly StructOpsSlot[];
  /** BPF_F_LINK map (`.struct_ops.link`): registered by BPF_LINK_CREATE after the update. */
  readonly link: boolean;
}

/** attach_btf_id and expected_attach_type of a program bound to a struct_ops map. */
export interface StructOpsAttach {
  readonly attachBtfId: number;
  readonly expectedAttachType: number;
  readonly map: string;
}

function fail(map: string, message: string, code: "BAD_MAP" | "UNRESOLVED" | "NOT_SUPPORTED" = "BAD_MAP") {
  return new LoaderError(code, `struct_ops map '${map}': ${message}`, { map });
}

function memberByName(btf: CoreBtf, struct: number, name: string): number {
  for (let i = 0; i < btf.vlen(struct); i++) if (btf.memberName(struct, i) === name) return i;
  return -1;
}

function findKernelTypes(map: string, typeName: string, vmlinux: KernelBtfView, kernel: CoreBtf) {
  const typeId = vmlinux.findByNameKind(typeName, Kind.STRUCT);
  if (typeId <= 0) throw fail(map, `struct ${typeName} is not in the kernel's BTF`, "UNRESOLVED");
  const valueName = `${STRUCT_OPS_VALUE_PREFIX}${typeName}`;
  const valueTypeId = vmlinux.findByNameKind(valueName, Kind.STRUCT);
  if (valueTypeId <= 0) {
    throw fail(
      map,
      `struct ${valueName} is not in the kernel's BTF: this kernel has no struct_ops support for struct ${typeName}`,
      "UNRESOLVED",
    );
  }
  // the value's member of type exactly T (libbpf compares the member's type id, no modifiers skipped)
  let data = -1;
  for (let i = 0; i < kernel.vlen(valueTypeId); i++) {
    if (kernel.memberType(valueTypeId, i) === typeId) {
      data = i;
      break;
    }
  }
  if (data < 0) {
    throw fail(map, `struct ${valueName} has no member of type struct ${typeName} in the kernel's BTF`, "UNRESOLVED");
  }
  return { typeId, valueTypeId, dataOffset: kernel.memberBitOffset(valueTypeId, data) / 8 };
}

function prepareOne(map: MapSpec, local: Btf, vmlinux: KernelBtfView, kernel: CoreBtf): PreparedStructOps {
  const st = map.structOps!;
  const name = map.name;
  const typeName = st.typeName;
  const kern = findKernelTypes(name, typeName, vmlinux, kernel);
  const valueSize = kernel.sizeField(kern.valueTypeId);
  const value = new Uint8Array(valueSize);
  const data = map.contents ?? new Uint8Array(map.valueSize);
  const programs = new Map(st.functions.map((f) => [f.memberIndex, f.program]));
  const functions: StructOpsSlot[] = [];
  const where = `struct ${typeName}`;

  for (let i = 0; i < local.vlen(st.typeId); i++) {
    const member = local.memberName(st.typeId, i);
    const k = memberByName(kernel, kern.typeId, member);
    if (k < 0) {
      throw fail(name, `member '${member}' of ${where} does not exist in the kernel's ${where}`);
    }
    if (local.memberBitfieldSize(st.typeId, i) !== 0 || kernel.memberBitfieldSize(kern.typeId, k) !== 0) {
      throw fail(
        name,
        `member '${member}' of ${where} is a bitfield, which struct_ops does not support`,
        "NOT_SUPPORTED",
      );
    }
    const offset = local.memberBitOffset(st.typeId, i) / 8;
    const kernelOffset = kern.dataOffset + kernel.memberBitOffset(kern.typeId, k) / 8;
    const localType = local.skipModsAndTypedefs(local.memberType(st.typeId, i));
    const kernelType = skipModsAndTypedefs(kernel, kernel.memberType(kern.typeId, k));
    const localKind = local.kind(localType);
    const kernelKind = kernelType < 0 ? -1 : kernel.kind(kernelType);
    if (localKind !== kernelKind) {
      throw fail(
        name,
        `member '${member}' of ${where} is a ${kindString(localKind)} in the object but a ` +
          `${kindString(kernelKind)} in the kernel`,
      );
    }
    if (localKind === Kind.PTR) {
      const program = programs.get(i);
      if (program === undefined) continue; // pointers not set to a program stay zero
      if (!isFuncPointer(kernel, kernelType)) {
        throw fail(
          name,
          `member '${member}' of ${where} is set to prog '${program}' but is not a function pointer in the kernel`,
        );
      }
      functions.push({ member, program, memberIndex: k, offset: kernelOffset });
      continue;
    }
    const size = resolveSize(local, localType);
    const kernelSize = resolveSize(kernel, kernelType);
    if (size < 0 || kernelSize < 0 || size !== kernelSize) {
      throw fail(
        name,
        `member '${member}' of ${where} is ${size < 0 ? "?" : size} bytes in the object but ` +
          `${kernelSize < 0 ? "?" : kernelSize} bytes in the kernel`,
      );
    }
    value.set(data.subarray(offset, offset + size), kernelOffset);
  }
  return {
    map: name,
    typeName,
    kernelTypeId: kern.typeId,
    valueTypeId: kern.valueTypeId,
    valueSize,
    value,
    functions,
    link: (map.flags & BPF_F_LINK) !== 0,
  };
}

/**
 * Every struct_ops map of the spec laid out for the kernel whose BTF `vmlinux` is (its `types` must be set: member
 * layouts are read from it). Empty when the object has no struct_ops maps.
 */
export function prepareStructOps(spec: ObjectSpec, vmlinux: KernelBtfView | undefined): PreparedStructOps[] {
  const maps = spec.maps.filter((m) => m.structOps !== undefined);
  if (maps.length === 0) return [];
  const first = maps[0]!.name;
  if (!vmlinux?.types) {
    throw fail(first, "needs the kernel's BTF with type access (externs.vmlinux built by kernelBtfView)", "UNRESOLVED");
  }
  if (!spec.btf) throw new LoaderError("BAD_BTF", `struct_ops map '${first}': the object has no BTF`, { map: first });
  const local = Btf.parse(spec.btf);
  const kernel = vmlinux.types;
  return maps.map((m) => prepareOne(m, local, vmlinux, kernel));
}

/** Program name → what it loads with, over every prepared struct_ops map. */
export function structOpsAttachments(prepared: readonly PreparedStructOps[]): Map<string, StructOpsAttach> {
  const out = new Map<string, StructOpsAttach>();
  for (const p of prepared) {
    for (const f of p.functions) {
      out.set(f.program, { attachBtfId: p.kernelTypeId, expectedAttachType: f.memberIndex, map: p.map });
    }
  }
  return out;
}

/**
 * The value that registers the map (libbpf's bpf_map__attach_struct_ops): the prepared value with each bound
 * program's fd at its function pointer. Every bound program must have an fd.
 */
export function structOpsValue(
  prepared: PreparedStructOps,
  programFds: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): Uint8Array {
  const fds =
    programFds instanceof Map
      ? (programFds as ReadonlyMap<string, number>)
      : new Map(Object.entries(programFds as Record<string, number>));
  const value = new Uint8Array(prepared.value);
  const view = new DataView(value.buffer);
  for (const f of prepared.functions) {
    const fd = fds.get(f.program);
    if (fd === undefined) {
      throw new LoaderError(
        "UNRESOLVED",
        `struct_ops map '${prepared.map}': prog '${f.program}' (member '${f.member}') was not loaded`,
        { map: prepared.map, program: f.program },
      );
    }
    view.setBigUint64(f.offset, BigInt(fd), true);
  }
  return value;
}
