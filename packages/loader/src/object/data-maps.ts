// Global data maps (libbpf's bpf_object__init_internal_map): every non-empty .data*, .rodata*, .bss* section
// becomes a one-element ARRAY whose value is the section; `.kconfig` gets one too. Naming, flags and the
// variables each map exposes follow libbpf 1.1 exactly (see anchors.md §1).

import { type Btf, Kind, Linkage } from "@bpfkit/btf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { DataSection } from "./elf-layout.js";
import { type MapKind, type MapSpec, type VariableSpec, withMapDefaults } from "./spec.js";

const BPF_OBJ_NAME_LEN = 16;
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;
const ARRAY = 2;
/**
 * Above any kernel's array value limit (KMALLOC_MAX_SIZE, 4 MiB on x86): a data section or .kconfig larger
 * than this cannot become a map, and we refuse before allocating its contents.
 */
export const MAX_DATA_MAP_SIZE = 32 << 20;

export function checkDataMapSize(section: string, size: number): void {
  if (size > MAX_DATA_MAP_SIZE) {
    throw new LoaderError(
      "BAD_SECTION",
      `${section}: ${size} bytes is larger than any BPF array value (${MAX_DATA_MAP_SIZE} bytes)`,
      { section },
    );
  }
}

/**
 * libbpf's internal_map_name(): as much of the object name as fits before the section name (which keeps at
 * least 7 characters), no prefix for custom sections with a second dot, 15 characters at most, and characters
 * outside [A-Za-z0-9_.] replaced by '_'.
 */
export function internalMapName(objectName: string, sectionName: string): string {
  const max = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, sectionName.length), max);
  const pfxLen = sectionName.indexOf(".", 1) >= 0 ? 0 : Math.min(max - sfxLen, objectName.length);
  const name = (objectName.slice(0, pfxLen) + sectionName.slice(0, sfxLen)).slice(0, max);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** The DATASEC describing a section, 0 if none (libbpf looks the section name up among all types: first match wins). */
function datasecFor(btf: Btf | undefined, name: string): number {
  return btf?.findByName(name) ?? 0;
}

/** MMAPABLE only when the DATASEC has a non-static VAR (libbpf's map_is_mmapable). */
function hasVisibleVar(btf: Btf | undefined, datasec: number): boolean {
  if (!btf || datasec === 0 || btf.kind(datasec) !== Kind.DATASEC) return false;
  return datasecEntries(btf, datasec).some(
    (e) => btf.kind(e.type) === Kind.VAR && btf.linkage(e.type) !== Linkage.STATIC,
  );
}

export function internalMap(
  objectName: string,
  sectionName: string,
  kind: MapKind,
  size: number,
  contents: Uint8Array,
  btf: Btf | undefined,
): MapSpec {
  checkDataMapSize(sectionName, size);
  const datasec = datasecFor(btf, sectionName);
  let flags = kind === "rodata" || kind === "kconfig" ? BPF_F_RDONLY_PROG : 0;
  if (hasVisibleVar(btf, datasec)) flags |= BPF_F_MMAPABLE;
  return withMapDefaults({
    name: internalMapName(objectName, sectionName),
    kind,
    section: sectionName,
    sectionOffset: 0,
    type: ARRAY,
    keySize: 4,
    valueSize: size,
    maxEntries: 1,
    flags,
    btfValueTypeId: datasec,
    contents,
    freeze: kind === "rodata" || kind === "kconfig",
  });
}

export function dataMaps(objectName: string, sections: readonly DataSection[], btf: Btf | undefined): MapSpec[] {
  return sections
    .filter((d) => d.section.size > 0)
    .map(({ section, kind }) => {
      checkDataMapSize(section.name, section.size);
      return internalMap(
        objectName,
        section.name,
        kind,
        section.size,
        kind === "bss" ? new Uint8Array(section.size) : new Uint8Array(section.data),
        btf,
      );
    });
}

/** Variables of every data map that has a DATASEC: name, offset, size, type. */
export function dataVariables(maps: readonly MapSpec[], btf: Btf | undefined): VariableSpec[] {
  if (!btf) return [];
  const out: VariableSpec[] = [];
  for (const map of maps) {
    if (map.kind !== "data" && map.kind !== "rodata" && map.kind !== "bss") continue;
    const datasec = map.btfValueTypeId;
    if (datasec === 0 || btf.kind(datasec) !== Kind.DATASEC) continue;
    for (const entry of datasecEntries(btf, datasec)) {
      if (btf.kind(entry.type) !== Kind.VAR) continue;
      out.push({
        name: btf.nameOf(entry.type),
        section: map.section,
        map: map.name,
        offset: entry.offset,
        size: entry.size,
        typeId: btf.refType(entry.type),
        linkage: btf.linkage(entry.type) === Linkage.STATIC ? "static" : "global",
        readonly: map.kind === "rodata",
      });
    }
  }
  return out;
}
