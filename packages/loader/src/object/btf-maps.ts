// BTF-defined maps (`.maps`): each VAR of the `.maps` DATASEC is a struct whose members encode the definition
// (@bpfkit/btf's parseBtfMapDef reads it). Rules and messages follow libbpf's bpf_object__init_user_btf_map.

import { type Btf, type BtfMapDef, Kind, kindString, Linkage, parseBtfMapDef } from "@bpfkit/btf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { MapSpec } from "./spec.js";

const RINGBUF = 27;
const USER_RINGBUF = 31;

function fail(map: string, message: string): never {
  throw new LoaderError("BAD_MAP", `map '${map}': ${message}`, { map, section: ".maps" });
}

/** libbpf rounds ring buffer sizes up to a power-of-2 multiple of the page size at open time. */
export function adjustRingbufSize(size: number, pageSize: number): number {
  if (size === 0) return 0;
  if (size % pageSize === 0) {
    const pages = size / pageSize;
    if ((pages & (pages - 1)) === 0) return size;
  }
  for (let mul = 1; mul <= Math.floor(0xffffffff / pageSize); mul *= 2) {
    if (mul * pageSize > size) return mul * pageSize;
  }
  return size;
}

function toSpec(name: string, def: BtfMapDef, offset: number, pageSize: number, inner: MapSpec | undefined): MapSpec {
  const ring = def.type === RINGBUF || def.type === USER_RINGBUF;
  return {
    name,
    kind: "user",
    section: ".maps",
    sectionOffset: offset,
    type: def.type,
    keySize: def.keySize,
    valueSize: def.valueSize,
    maxEntries: ring ? adjustRingbufSize(def.maxEntries, pageSize) : def.maxEntries,
    flags: def.flags,
    numaNode: def.numaNode,
    mapExtra: def.mapExtra,
    btfKeyTypeId: def.keyTypeId,
    btfValueTypeId: def.valueTypeId,
    pinning: def.pinning === 1 ? "by-name" : "none",
    innerMap: inner,
    slots: [],
    contents: undefined,
    freeze: false,
    autocreate: true,
  };
}

/** Maps of the `.maps` section, in DATASEC order (by offset after the fixup). */
export function parseBtfMaps(btf: Btf, sectionSize: number, pageSize: number): MapSpec[] {
  const sec = btf.findByName(".maps", Kind.DATASEC);
  if (sec === undefined) throw new LoaderError("BAD_BTF", "DATASEC '.maps' not found.", { section: ".maps" });
  return datasecEntries(btf, sec).map((entry, i) => {
    const name = btf.nameOf(entry.type);
    if (name === "") throw new LoaderError("BAD_MAP", `map #${i}: empty name.`, { section: ".maps" });
    if (entry.offset + entry.size > sectionSize) fail(name, "BTF data is corrupted.");
    if (btf.kind(entry.type) !== Kind.VAR) fail(name, `unexpected var kind ${kindString(btf.kind(entry.type))}.`);
    const linkage = btf.linkage(entry.type);
    if (linkage !== Linkage.GLOBAL) {
      fail(name, `unsupported map linkage ${linkage === 0 ? "static" : linkage === 2 ? "extern" : "unknown"}.`);
    }
    const structId = btf.skipModsAndTypedefs(btf.refType(entry.type));
    if (btf.kind(structId) !== Kind.STRUCT) fail(name, `unexpected def kind ${kindString(btf.kind(structId))}.`);
    if (btf.sizeField(structId) > entry.size) fail(name, "invalid def size.");
    const def = parseBtfMapDef(btf, name, structId, fail);
    const inner = def.inner ? toSpec(`${name}.inner`, def.inner, entry.offset, pageSize, undefined) : undefined;
    return toSpec(name, def, entry.offset, pageSize, inner);
  });
}
