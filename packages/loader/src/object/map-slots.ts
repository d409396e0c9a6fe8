// `.values` initializers of BTF-defined maps (libbpf's bpf_object__collect_map_relos): clang emits one R_BPF_64_ABS64
// in `.rel.maps` per non-null slot, pointing at the inner map or the program. The slot index is the offset of the
// relocation inside the `values` member, in 8-byte BPF pointers.

import { type Btf, isMapInMap, Kind } from "@bpfkit/btf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { MapSlot, MapSpec } from "./spec.js";

const PROG_ARRAY = 3;
const HASH_OF_MAPS = 13;

export interface EntryPoint {
  readonly name: string;
  readonly sectionIndex: number;
  readonly offset: number;
}

/** Returns `maps` with `slots` filled in (new objects for the maps that have slots). */
export function collectMapSlots(
  layout: ObjectLayout,
  btf: Btf | undefined,
  maps: readonly MapSpec[],
  programs: readonly EntryPoint[],
): MapSpec[] {
  const rels = layout.mapsRelocations;
  if (!rels) return [...maps];
  const sec = btf?.findByName(".maps", Kind.DATASEC);
  if (!btf || sec === undefined)
    throw new LoaderError("BAD_BTF", ".rel.maps without a '.maps' DATASEC", { section: ".rel.maps" });
  const entries = datasecEntries(btf, sec);
  const slots = new Map<string, MapSlot[]>();

  for (const [i, rel] of rels.relocations.entries()) {
    const sym = rel.symbol;
    const where = { section: ".rel.maps", symbol: sym.name, offset: rel.offset };
    const fail = (message: string) => new LoaderError("BAD_RELOCATION", `.maps relo #${i}: ${message}`, where);
    const entry = entries.find((e) => e.offset <= rel.offset && rel.offset + 8 <= e.offset + e.size);
    const map = entry && maps.find((m) => m.kind === "user" && m.sectionOffset === entry.offset);
    if (!entry || !map) throw fail(`cannot find map '${sym.name}' at rel->r_offset ${rel.offset}`);
    const slot: { map?: string; program?: string } = {};
    if (isMapInMap(map.type)) {
      if (sym.shndx !== layout.mapsSection?.index) throw fail(`'${sym.name}' isn't a BTF-defined map`);
      if (map.type === HASH_OF_MAPS && map.keySize !== 4)
        throw fail(`hash-of-maps '${map.name}' should have key size 4.`);
      if (!maps.some((m) => m.name === sym.name)) throw fail(`'${sym.name}' isn't a valid map reference`);
      slot.map = sym.name;
    } else if (map.type === PROG_ARRAY) {
      const prog = programs.find((p) => p.name === sym.name);
      if (!prog) throw fail(`'${sym.name}' isn't a valid program reference`);
      if (prog.sectionIndex !== sym.shndx || prog.offset !== sym.value)
        throw fail(`'${sym.name}' isn't an entry-point program`);
      slot.program = sym.name;
    } else {
      throw fail(`map '${map.name}' is neither map-in-map nor prog array`);
    }
    const def = btf.skipModsAndTypedefs(btf.refType(entry.type));
    const vlen = btf.vlen(def);
    if (vlen === 0 || btf.memberName(def, vlen - 1) !== "values")
      throw fail(`map '${map.name}' has no 'values' member`);
    const valuesOffset = btf.memberBitOffset(def, vlen - 1) / 8;
    const within = rel.offset - entry.offset - valuesOffset;
    if (within < 0 || within % 8 !== 0) throw fail(`offset ${rel.offset} is not a slot of '${map.name}'.values`);
    const list = slots.get(map.name) ?? [];
    list.push({ index: within / 8, ...slot });
    slots.set(map.name, list);
  }

  return maps.map((m) => {
    const list = slots.get(m.name);
    return list ? { ...m, slots: list.sort((a, b) => a.index - b.index) } : m;
  });
}
