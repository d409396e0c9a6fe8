// The opened object as plain data. Nothing here holds a file descriptor or a parser: every field is a number,
// string, array, plain object or Uint8Array, so a spec can be deep-copied (structuredClone) and inspected.
// Relocations are recorded symbolically (which map, extern or function an instruction refers to); the prepare
// step turns them into instruction bytes once map fds / kernel BTF ids / kconfig values are known.

import type { Instruction } from "@bpfkit/asm";
import type { CoreRelocationRecord, FuncInfoRecord, LineInfoRecord } from "../btf/btf-ext.js";

/** A symbolic reference an instruction carries, recorded from the ELF relocation against it. */
export type RelocationTarget =
  /** ld_imm64 of a BTF-defined (or legacy) map: becomes BPF_PSEUDO_MAP_FD. */
  | { readonly kind: "map"; readonly map: string }
  /** ld_imm64 of a global variable: BPF_PSEUDO_MAP_VALUE into the section's map, at `offset` (+ insn imm). */
  | { readonly kind: "data"; readonly map: string; readonly offset: number }
  /** ld_imm64 of an extern variable (.kconfig value or .ksyms address / BTF id). */
  | { readonly kind: "extern-var"; readonly extern: string }
  /** call of an extern function (kfunc): BPF_PSEUDO_KFUNC_CALL. */
  | { readonly kind: "extern-func"; readonly extern: string }
  /** bpf-to-bpf call into .text; `offset` is the relocation symbol's byte offset in .text. */
  | { readonly kind: "call"; readonly offset: number; readonly symbol: string }
  /** ld_imm64 of a function address (callbacks): BPF_PSEUDO_FUNC; `offset` as for calls. */
  | { readonly kind: "subprog-addr"; readonly offset: number; readonly symbol: string };

export interface RecordedRelocation {
  /** Instruction slot (8-byte unit) inside the function. */
  readonly insn: number;
  readonly target: RelocationTarget;
}

/** One function of an executable section: an entry program or a .text subprogram. */
export interface FunctionSpec {
  readonly name: string;
  /** ELF section name, without libbpf's '?' prefix. */
  readonly section: string;
  /** Slot index of the first instruction inside the section. */
  readonly sectionInsnOffset: number;
  /** Number of 8-byte slots. */
  readonly slotCount: number;
  /** Decoded instructions; `reference` names the relocation target where there is one. */
  readonly instructions: readonly Instruction[];
  /** Relocations recorded against this function, ascending by `insn`. */
  readonly relocations: readonly RecordedRelocation[];
  /** .BTF.ext records of this function with `insnOff` rebased to slots relative to the function start. */
  readonly funcInfo: readonly FuncInfoRecord[];
  readonly lineInfo: readonly LineInfoRecord[];
  /** "global" (STB_GLOBAL/WEAK) or "static" (STB_LOCAL). */
  readonly binding: "global" | "static" | "weak";
  /** STV_HIDDEN / STV_INTERNAL: libbpf marks such global subprograms static in BTF. */
  readonly hidden: boolean;
}

export interface ProgramSpec extends FunctionSpec {
  /** The SEC() name as written, including a leading '?' if any. */
  readonly sectionName: string;
  /** BPF_PROG_TYPE_* (0 when the section name is unknown and no type was given). */
  readonly type: number;
  /** Expected attach type (0 = none). */
  readonly expectedAttachType: number;
  /** For ATTACH_BTF sections: the part after the first '/', e.g. `do_unlinkat` of `fentry/do_unlinkat`. */
  readonly attachTo: string | undefined;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
  /** SEC_* flags of the matched table entry (0 when unknown). */
  readonly secFlags: number;
  /** Matched table pattern, e.g. `kprobe+`; undefined when unknown. */
  readonly secPattern: string | undefined;
  /** libbpf: false for SEC("?...") programs. */
  readonly autoload: boolean;
}

export type MapKind = "user" | "legacy" | "data" | "rodata" | "bss" | "kconfig" | "struct_ops";

/** A `.values` initializer slot of a map-in-map (inner map name) or prog array (program name). */
export interface MapSlot {
  readonly index: number;
  readonly map?: string;
  readonly program?: string;
}

/** A function-pointer member of a struct_ops map that `.rel.struct_ops` binds to a program. */
export interface StructOpsFunction {
  /** Member name in the object's struct (the kernel member of the same name receives the program). */
  readonly member: string;
  /** Member index in the object's struct (libbpf's expected_attach_type until load maps it to the kernel's). */
  readonly memberIndex: number;
  /** Byte offset of the member in the object's struct. */
  readonly offset: number;
  readonly program: string;
}

/** What makes a `.struct_ops` / `.struct_ops.link` variable a map (libbpf's `struct bpf_struct_ops`). */
export interface StructOpsSpec {
  /** The object's struct name, e.g. `tcp_congestion_ops`: the kernel struct of this name is what gets registered. */
  readonly typeName: string;
  /** Its BTF type id in the object's BTF. */
  readonly typeId: number;
  /** Function pointers bound to programs, by member index. */
  readonly functions: readonly StructOpsFunction[];
}

export interface MapSpec {
  /** Name given to the kernel (internal maps: libbpf's prefixed/truncated name, e.g. `xdp_pars.rodata`). */
  readonly name: string;
  readonly kind: MapKind;
  /** ELF section the map comes from (`.maps`, `.rodata`, `.data.custom` ...; `.kconfig` for the kconfig map). */
  readonly section: string;
  /** Byte offset of the definition inside `.maps` (0 for internal maps). */
  readonly sectionOffset: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode: number;
  readonly mapExtra: bigint;
  /** BTF type ids of key and value in the object's BTF (0 = none). */
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly pinning: "none" | "by-name";
  /** Inner map template of an array/hash of maps. */
  readonly innerMap: MapSpec | undefined;
  /** `.values` initializers (map-in-map / prog array). */
  readonly slots: readonly MapSlot[];
  /**
   * Initial contents of a global data map (value of key 0); for a struct_ops map, the variable's bytes in the
   * object's layout (non-pointer members are copied from here into the kernel's layout at load); undefined for
   * other maps.
   */
  readonly contents: Uint8Array | undefined;
  /** libbpf freezes .rodata and .kconfig after writing their contents. */
  readonly freeze: boolean;
  /** libbpf's autocreate; false maps are not created and references to them are poisoned. */
  readonly autocreate: boolean;
  /**
   * struct_ops maps (type BPF_MAP_TYPE_STRUCT_OPS, kind "struct_ops"): the struct and its bound programs. Such a
   * map is registered with BPF_F_LINK in `flags` (`.struct_ops.link`) through a link, otherwise by its update.
   */
  readonly structOps?: StructOpsSpec;
}

/**
 * What a map gets for the fields its definition cannot set: legacy `SEC("maps")`, global data and struct_ops maps
 * have no BTF map definition, so no NUMA node, map_extra, pinning, inner map or `.values` slots (and, but for
 * data maps, no key/value type ids). withMapDefaults puts a map's own fields over them.
 */
export const MAP_SPEC_DEFAULTS = {
  numaNode: 0,
  mapExtra: 0n,
  btfKeyTypeId: 0,
  btfValueTypeId: 0,
  pinning: "none",
  innerMap: undefined,
  slots: [],
  freeze: false,
  autocreate: true,
} as const satisfies Partial<MapSpec>;

export interface VariableSpec {
  readonly name: string;
  /** Section (and so map) the variable lives in. */
  readonly section: string;
  readonly map: string;
  readonly offset: number;
  readonly size: number;
  /** BTF type id of the variable's type (0 if unknown). */
  readonly typeId: number;
  readonly linkage: "static" | "global";
  /** In a read-only section (.rodata*): const volatile configuration. */
  readonly readonly: boolean;
}

export type KconfigType = "bool" | "tristate" | "char" | "int" | "char-array";

export interface ExternSpec {
  readonly name: string;
  readonly kind: "kconfig" | "ksym";
  readonly weak: boolean;
  /** BTF id of the extern's VAR or FUNC in the object's BTF. */
  readonly btfId: number;
  /** Type id behind modifiers/typedefs (func proto for kfuncs, 0 for typeless ksyms). */
  readonly typeId: number;
  /** kconfig layout inside the .kconfig map. */
  readonly kconfig?: {
    readonly type: KconfigType;
    readonly size: number;
    readonly align: number;
    readonly signed: boolean;
    readonly offset: number;
  };
  /** ksym: a function (kfunc) or a variable; typed variables have a BTF type. */
  readonly ksym?: { readonly isFunc: boolean; readonly typed: boolean };
}

export interface ObjectSpec {
  /** Object name: file basename cut at the first '.', or the name given when opening. */
  readonly name: string;
  readonly endianness: "little" | "big";
  readonly license: string;
  readonly kernelVersion: number;
  /** Entry programs, in libbpf order (section index, then offset). */
  readonly programs: readonly ProgramSpec[];
  /** .text functions programs may call (appended per program at prepare time). */
  readonly subprograms: readonly FunctionSpec[];
  /**
   * Maps in libbpf order: .maps (by offset), legacy maps, data sections (by section index), .kconfig, struct_ops
   * maps (by section, then offset).
   */
  readonly maps: readonly MapSpec[];
  readonly variables: readonly VariableSpec[];
  /** Externs in libbpf order (kconfig ones by alignment desc, size, name; then ksyms by name). */
  readonly externs: readonly ExternSpec[];
  /** The object's BTF as it goes to the kernel (DATASEC sizes/offsets fixed up like libbpf does). */
  readonly btf: Uint8Array | undefined;
  /** .BTF.ext record sizes (needed to pass func_info / line_info to the kernel). */
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  /** CO-RE relocation records per ELF section (applied at prepare time). */
  readonly coreRelocations: readonly { readonly section: string; readonly records: readonly CoreRelocationRecord[] }[];
  /** Non-fatal notes (skipped sections, legacy maps accepted ...), in the order found. */
  readonly warnings: readonly string[];
}

/**
 * A MapSpec from the defaults above and a map's own fields (which win). Object.assign, not `{ ...defaults, ... }`:
 * in Node 20's V8 that literal, with fields overriding the spread ones, took 2-12 µs per map against 0.2 µs.
 */
export function withMapDefaults(
  fields: Omit<MapSpec, keyof typeof MAP_SPEC_DEFAULTS> & Partial<Pick<MapSpec, keyof typeof MAP_SPEC_DEFAULTS>>,
): MapSpec {
  return Object.assign({}, MAP_SPEC_DEFAULTS, fields);
}
