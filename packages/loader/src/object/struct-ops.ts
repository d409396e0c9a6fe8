// struct_ops maps at open time (libbpf's bpf_object__init_struct_ops_maps and bpf_object__collect_st_ops_relos):
// every VAR of a `.struct_ops` (or `.struct_ops.link`) DATASEC is a one-entry BPF_MAP_TYPE_STRUCT_OPS map named
// after the variable, whose value is the variable's struct as the object lays it out; each relocation of the
// section's REL binds a function-pointer member to the struct_ops program it points at. The kernel's layout of
// the struct is a load-time matter (prepare/struct-ops.ts).

import { type Btf, type CoreBtf, Kind, kindString, skipModsAndTypedefs } from "@bpfkit/btf";
import { type ElfRelocation, type ElfRelocationSection, SHN_LORESERVE, STT_SECTION } from "@bpfkit/elf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { RawFunction } from "./functions.js";
import { type MapSpec, type ProgramSpec, type StructOpsFunction, withMapDefaults } from "./spec.js";

export const BPF_MAP_TYPE_STRUCT_OPS = 26;
export const BPF_PROG_TYPE_STRUCT_OPS = 27;
/** Map flag of `.struct_ops.link` maps: registered through BPF_LINK_CREATE instead of by the map update. */
export const BPF_F_LINK = 1 << 13;

function badMap(map: string, section: string, message: string, code: "BAD_MAP" | "NOT_SUPPORTED" = "BAD_MAP") {
  return new LoaderError(code, `struct_ops map '${map}' (sec '${section}'): ${message}`, { map, section });
}

/** One map per VAR of each struct_ops DATASEC, in section order, then offset (after the BTF fixup). */
export function structOpsMaps(layout: ObjectLayout, btf: Btf | undefined): MapSpec[] {
  const out: MapSpec[] = [];
  for (const section of layout.structOpsSections) {
    const name = section.name;
    if (!btf) throw new LoaderError("BAD_BTF", `'${name}' section needs BTF, object has none`, { section: name });
    const datasec = btf.findByName(name, Kind.DATASEC);
    if (datasec === undefined) {
      throw new LoaderError("BAD_BTF", `struct_ops: DATASEC '${name}' not found`, { section: name });
    }
    for (const entry of datasecEntries(btf, datasec)) {
      const varName = btf.nameOf(entry.type);
      const typeId = btf.skipModsAndTypedefs(btf.kind(entry.type) === Kind.VAR ? btf.refType(entry.type) : entry.type);
      const typeName = btf.nameOf(typeId);
      if (typeName === "") throw badMap(varName, name, "anonymous struct types are not supported", "NOT_SUPPORTED");
      if (btf.kind(typeId) !== Kind.STRUCT) {
        throw badMap(varName, name, `type '${typeName}' is a ${kindString(btf.kind(typeId))}, not a struct`);
      }
      const size = btf.sizeField(typeId);
      if (entry.offset + size > section.size) {
        throw badMap(varName, name, `variable at offset ${entry.offset} (${size} bytes) runs past the section end`);
      }
      out.push(
        withMapDefaults({
          name: varName,
          kind: "struct_ops",
          section: name,
          sectionOffset: entry.offset,
          type: BPF_MAP_TYPE_STRUCT_OPS,
          keySize: 4,
          valueSize: size,
          maxEntries: 1,
          flags: name === ".struct_ops.link" ? BPF_F_LINK : 0,
          // No key/value type ids (the defaults), as libbpf: the value type is the kernel's.
          contents: new Uint8Array(section.data.subarray(entry.offset, entry.offset + size)),
          structOps: { typeName, typeId, functions: [] },
        }),
      );
    }
  }
  return out;
}

/** The member of `struct` starting at `bitOffset` (libbpf's find_member_by_offset), or -1. */
function memberAt(btf: Btf, struct: number, bitOffset: number): number {
  for (let i = 0; i < btf.vlen(struct); i++) if (btf.memberBitOffset(struct, i) === bitOffset) return i;
  return -1;
}

/** A pointer (through modifiers and typedefs) to a function prototype (libbpf's resolve_func_ptr); either BTF. */
export function isFuncPointer(btf: CoreBtf, id: number): boolean {
  const ptr = skipModsAndTypedefs(btf, id);
  if (ptr < 0 || btf.kind(ptr) !== Kind.PTR) return false;
  const target = skipModsAndTypedefs(btf, btf.refType(ptr));
  return target >= 0 && btf.kind(target) === Kind.FUNC_PROTO;
}

/** The function whose code holds slot `insn` of section `shndx` (libbpf's find_prog_by_sec_insn). */
function functionAt(functions: readonly RawFunction[], shndx: number, insn: number): RawFunction | undefined {
  return functions.find((f) => f.section.index === shndx && insn >= f.offset / 8 && insn < (f.offset + f.size) / 8);
}

interface Binding {
  readonly map: string;
  readonly typeId: number;
  readonly memberIndex: number;
  readonly member: string;
}

/**
 * Binds function pointers to programs from the struct_ops REL sections. Returns the maps with
 * `structOps.functions` filled in, and the programs with libbpf's open-time expected attach type (the member
 * index in the object's struct; load replaces it with the kernel's).
 */
export function bindStructOps(
  layout: ObjectLayout,
  btf: Btf | undefined,
  maps: readonly MapSpec[],
  functions: readonly RawFunction[],
  programs: readonly ProgramSpec[],
): { maps: MapSpec[]; programs: ProgramSpec[] } {
  if (!btf || layout.structOpsRelocations.size === 0) return { maps: [...maps], programs: [...programs] };
  const bound = new Map<string, StructOpsFunction[]>();
  const byProgram = new Map<string, Binding>();
  for (const rel of layout.structOpsRelocations.values()) {
    for (const [i, r] of rel.relocations.entries())
      bindOne(btf, rel, r, i, maps, functions, programs, bound, byProgram);
  }
  return {
    maps: maps.map((m) => {
      const list = bound.get(m.name);
      if (!list || !m.structOps) return m;
      return { ...m, structOps: { ...m.structOps, functions: list.sort((a, b) => a.memberIndex - b.memberIndex) } };
    }),
    programs: programs.map((p) => {
      const binding = byProgram.get(p.name);
      return binding ? { ...p, expectedAttachType: binding.memberIndex } : p;
    }),
  };
}

function bindOne(
  btf: Btf,
  rel: ElfRelocationSection,
  r: ElfRelocation,
  index: number,
  maps: readonly MapSpec[],
  functions: readonly RawFunction[],
  programs: readonly ProgramSpec[],
  bound: Map<string, StructOpsFunction[]>,
  byProgram: Map<string, Binding>,
): void {
  const relName = rel.section.name;
  const sym = r.symbol;
  const symbol = sym.type === STT_SECTION && sym.name === "" ? (sym.section?.name ?? "") : sym.name;
  const fail = (message: string, map?: string) =>
    new LoaderError("BAD_RELOCATION", `sec '${relName}': relo #${index} against '${symbol}': ${message}`, {
      section: relName,
      symbol,
      map,
      offset: r.offset,
    });

  const map = maps.find(
    (m) =>
      m.structOps !== undefined &&
      m.section === rel.target.name &&
      m.sectionOffset <= r.offset &&
      r.offset - m.sectionOffset < m.valueSize,
  );
  if (!map?.structOps) throw fail(`offset ${r.offset} is outside every struct_ops variable of '${rel.target.name}'`);
  const { typeId, typeName } = map.structOps;
  const moff = r.offset - map.sectionOffset;
  if (sym.shndx === 0 || sym.shndx >= SHN_LORESERVE) {
    throw fail(`struct_ops map '${map.name}': the symbol is not a function defined in this object`, map.name);
  }
  if (sym.value % 8 !== 0) {
    throw fail(`struct_ops map '${map.name}': target offset ${sym.value} is not an instruction boundary`, map.name);
  }
  const memberIndex = memberAt(btf, typeId, moff * 8);
  if (memberIndex < 0) throw fail(`struct_ops map '${map.name}': no member of struct ${typeName} at offset ${moff}`);
  const member = btf.memberName(typeId, memberIndex);
  if (!isFuncPointer(btf, btf.memberType(typeId, memberIndex))) {
    throw fail(
      `struct_ops map '${map.name}': member '${member}' of struct ${typeName} is not a function pointer, ` +
        "only function pointers can be set to programs",
      map.name,
    );
  }
  const fn = functionAt(functions, sym.shndx, sym.value / 8);
  const program = fn && programs.find((p) => p.name === fn.name && p.sectionInsnOffset === fn.offset / 8);
  if (!program) {
    throw fail(
      `struct_ops map '${map.name}': member '${member}' points at ${fn ? `subprogram '${fn.name}'` : "no function"} ` +
        `in sec '${sym.section?.name ?? sym.shndx}', not at a struct_ops program`,
      map.name,
    );
  }
  if (program.type !== BPF_PROG_TYPE_STRUCT_OPS) {
    throw fail(
      `struct_ops map '${map.name}': member '${member}' points at prog '${program.name}' in sec ` +
        `'${program.sectionName}' of type ${program.type}, not a struct_ops program (SEC("struct_ops"))`,
      map.name,
    );
  }
  // A program may serve several maps, but only as the same member of the same struct (libbpf's rule).
  const previous = byProgram.get(program.name);
  if (previous && (previous.typeId !== typeId || previous.memberIndex !== memberIndex)) {
    throw fail(
      `struct_ops map '${map.name}': prog '${program.name}' is already member '${previous.member}' of map ` +
        `'${previous.map}'; it cannot also be member '${member}' of struct ${typeName}`,
      map.name,
    );
  }
  byProgram.set(program.name, { map: map.name, typeId, memberIndex, member });
  const list = bound.get(map.name) ?? [];
  const at = list.findIndex((f) => f.memberIndex === memberIndex);
  const entry = { member, memberIndex, offset: moff, program: program.name };
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  bound.set(map.name, list);
}
