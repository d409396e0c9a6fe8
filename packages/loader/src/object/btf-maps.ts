// BTF-defined maps (`.maps`): each VAR of the `.maps` DATASEC is a struct whose members encode the definition:
// `__uint(name, N)` is a pointer to an array of N elements, `__type(key, T)` a pointer to T, `__array(values, X)`
// a zero-length array of pointers to the inner map struct (map-in-map) or a function prototype (prog array).
// Rules and messages follow libbpf's parse_btf_map_def / bpf_object__init_user_btf_map (strict mode).

import { type Btf, Kind, kindString, Linkage, resolveSize } from "@bpfkit/btf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { MapSpec } from "./spec.js";

const MapType = { PROG_ARRAY: 3, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, RINGBUF: 27, USER_RINGBUF: 31 } as const;

export function isMapInMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  keyTypeId: number;
  valueTypeId: number;
  pinning: number;
  hasInner: boolean;
}

function emptyDef(): MapDef {
  return {
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    numaNode: 0,
    mapExtra: 0n,
    keyTypeId: 0,
    valueTypeId: 0,
    pinning: 0,
    hasInner: false,
  };
}

function fail(map: string, message: string): never {
  throw new LoaderError("BAD_MAP", `map '${map}': ${message}`, { map, section: ".maps" });
}

/** `__uint(name, N)`: PTR → ARRAY[N]. */
function intField(btf: Btf, map: string, name: string, memberType: number): number {
  const ptr = btf.skipModsAndTypedefs(memberType);
  if (btf.kind(ptr) !== Kind.PTR) fail(map, `attr '${name}': expected PTR, got ${kindString(btf.kind(ptr))}.`);
  const arr = btf.refType(ptr);
  if (btf.kind(arr) !== Kind.ARRAY) fail(map, `attr '${name}': expected ARRAY, got ${kindString(btf.kind(arr))}.`);
  return btf.arrayLength(arr);
}

/** `__type(name, T)`: PTR → T, sized. */
function typeField(btf: Btf, map: string, what: string, memberType: number): { id: number; size: number } {
  if (btf.kind(memberType) !== Kind.PTR) {
    fail(map, `${what} spec is not PTR: ${kindString(btf.kind(memberType))}.`);
  }
  const id = btf.refType(memberType);
  const size = resolveSize(btf, id); // negative errno where libbpf's btf__resolve_size fails
  if (size < 0) fail(map, `can't determine ${what} size for type [${id}].`);
  return { id, size };
}

function parseMapDef(btf: Btf, map: string, structId: number, def: MapDef, inner: MapDef | undefined): void {
  const isInner = inner === undefined;
  const vlen = btf.vlen(structId);
  for (let i = 0; i < vlen; i++) {
    const name = btf.memberName(structId, i);
    const mtype = btf.memberType(structId, i);
    switch (name) {
      case "type":
        def.type = intField(btf, map, name, mtype);
        break;
      case "max_entries":
        def.maxEntries = intField(btf, map, name, mtype);
        break;
      case "map_flags":
        def.flags = intField(btf, map, name, mtype);
        break;
      case "numa_node":
        def.numaNode = intField(btf, map, name, mtype);
        break;
      case "map_extra":
        def.mapExtra = BigInt(intField(btf, map, name, mtype));
        break;
      case "key_size":
      case "value_size": {
        const sz = intField(btf, map, name, mtype);
        const current = name === "key_size" ? def.keySize : def.valueSize;
        if (current && current !== sz) fail(map, `conflicting ${name.replace("_", " ")} ${current} != ${sz}.`);
        if (name === "key_size") def.keySize = sz;
        else def.valueSize = sz;
        break;
      }
      case "key":
      case "value": {
        const { id, size } = typeField(btf, map, name, mtype);
        const current = name === "key" ? def.keySize : def.valueSize;
        if (current && current !== size) fail(map, `conflicting ${name} size ${current} != ${size}.`);
        if (name === "key") {
          def.keySize = size;
          def.keyTypeId = id;
        } else {
          def.valueSize = size;
          def.valueTypeId = id;
        }
        break;
      }
      case "values": {
        const mapInMap = isMapInMap(def.type);
        const progArray = def.type === MapType.PROG_ARRAY;
        const desc = mapInMap ? "map-in-map inner" : "prog-array value";
        if (isInner) fail(map, "multi-level inner maps not supported.");
        if (i !== vlen - 1) fail(map, `'${name}' member should be last.`);
        if (!mapInMap && !progArray) fail(map, "should be map-in-map or prog-array.");
        if (def.valueSize && def.valueSize !== 4) fail(map, `conflicting value size ${def.valueSize} != 4.`);
        def.valueSize = 4;
        if (btf.kind(mtype) !== Kind.ARRAY || btf.arrayLength(mtype) !== 0) {
          fail(map, `${desc} spec is not a zero-sized array.`);
        }
        const ptr = btf.skipModsAndTypedefs(btf.arrayElemType(mtype));
        if (btf.kind(ptr) !== Kind.PTR) fail(map, `${desc} def is of unexpected kind ${kindString(btf.kind(ptr))}.`);
        const target = btf.skipModsAndTypedefs(btf.refType(ptr));
        if (progArray) {
          if (btf.kind(target) !== Kind.FUNC_PROTO) {
            fail(map, `prog-array value def is of unexpected kind ${kindString(btf.kind(target))}.`);
          }
          break;
        }
        if (btf.kind(target) !== Kind.STRUCT) {
          fail(map, `map-in-map inner def is of unexpected kind ${kindString(btf.kind(target))}.`);
        }
        parseMapDef(btf, `${map}.inner`, target, inner!, undefined);
        def.hasInner = true;
        break;
      }
      case "pinning": {
        if (isInner) fail(map, "inner def can't be pinned.");
        const value = intField(btf, map, name, mtype);
        if (value !== 0 && value !== 1) fail(map, `invalid pinning value ${value}.`);
        def.pinning = value;
        break;
      }
      default:
        fail(map, `unknown field '${name}'.`);
    }
  }
  if (def.type === 0) fail(map, "map type isn't specified.");
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

function toSpec(name: string, def: MapDef, offset: number, pageSize: number, inner: MapSpec | undefined): MapSpec {
  const ring = def.type === MapType.RINGBUF || def.type === MapType.USER_RINGBUF;
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
    const def = emptyDef();
    const innerDef = emptyDef();
    parseMapDef(btf, name, structId, def, innerDef);
    const inner = def.hasInner ? toSpec(`${name}.inner`, innerDef, entry.offset, pageSize, undefined) : undefined;
    return toSpec(name, def, entry.offset, pageSize, inner);
  });
}
