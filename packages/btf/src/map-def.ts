// BTF-defined map definitions (the structs of `.maps`): `__uint(name, N)` is a pointer to an array of N
// elements, `__type(key, T)` a pointer to T, `__array(values, X)` a zero-length array of pointers to the inner
// map's struct (map-in-map) or to a function prototype (prog array). The rules and messages are libbpf's
// parse_btf_map_def in strict mode. The loader reads maps with it and the linker compares definitions with it,
// so each caller decides what error a bad definition becomes (`fail`).

import type { Btf } from "./btf.js";
import { kindString } from "./core/btf-view.js";
import { Kind } from "./kinds.js";
import { resolveSize } from "./walks.js";

export const MapDefType = { PROG_ARRAY: 3, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13 } as const;

export function isMapInMap(type: number): boolean {
  return type === MapDefType.ARRAY_OF_MAPS || type === MapDefType.HASH_OF_MAPS;
}

export interface BtfMapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  /** 0 unless the key is given by type (`__type(key, T)`). */
  keyTypeId: number;
  valueTypeId: number;
  pinning: number;
  /** The inner map's definition (map-in-map `values`). */
  inner?: BtfMapDef;
  /** Set for a prog array whose `values` names a function prototype. */
  progArrayValues?: boolean;
}

/** Reports a bad definition of `map` (`x.inner` for an inner map); must throw. */
export type MapDefFailure = (map: string, message: string) => never;

function emptyDef(): BtfMapDef {
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
  };
}

const kindName = (btf: Btf, id: number): string => kindString(btf.kind(id));

/** `__uint(name, N)`: PTR → ARRAY[N]. */
function intField(btf: Btf, map: string, name: string, memberType: number, fail: MapDefFailure): number {
  const ptr = btf.skipModsAndTypedefs(memberType);
  if (btf.kind(ptr) !== Kind.PTR) fail(map, `attr '${name}': expected PTR, got ${kindName(btf, ptr)}.`);
  const arr = btf.refType(ptr);
  if (btf.kind(arr) !== Kind.ARRAY) fail(map, `attr '${name}': expected ARRAY, got ${kindName(btf, arr)}.`);
  return btf.arrayLength(arr);
}

/** `__type(name, T)`: PTR → T, sized. */
function typeField(btf: Btf, map: string, what: string, memberType: number, fail: MapDefFailure) {
  if (btf.kind(memberType) !== Kind.PTR) fail(map, `${what} spec is not PTR: ${kindName(btf, memberType)}.`);
  const id = btf.refType(memberType);
  const size = resolveSize(btf, id); // negative errno where libbpf's btf__resolve_size fails
  if (size < 0) fail(map, `can't determine ${what} size for type [${id}].`);
  return { id, size };
}

/** The definition held by the struct `structId` of map `map` (a name for messages). */
export function parseBtfMapDef(btf: Btf, map: string, structId: number, fail: MapDefFailure): BtfMapDef {
  return parseInto(btf, map, structId, fail, false);
}

function parseInto(btf: Btf, map: string, structId: number, fail: MapDefFailure, isInner: boolean): BtfMapDef {
  const def = emptyDef();
  const vlen = btf.vlen(structId);
  for (let i = 0; i < vlen; i++) {
    const name = btf.memberName(structId, i);
    const mtype = btf.memberType(structId, i);
    switch (name) {
      case "type":
        def.type = intField(btf, map, name, mtype, fail);
        break;
      case "max_entries":
        def.maxEntries = intField(btf, map, name, mtype, fail);
        break;
      case "map_flags":
        def.flags = intField(btf, map, name, mtype, fail);
        break;
      case "numa_node":
        def.numaNode = intField(btf, map, name, mtype, fail);
        break;
      case "map_extra":
        def.mapExtra = BigInt(intField(btf, map, name, mtype, fail));
        break;
      case "key_size":
      case "value_size": {
        const sz = intField(btf, map, name, mtype, fail);
        const current = name === "key_size" ? def.keySize : def.valueSize;
        if (current && current !== sz) fail(map, `conflicting ${name.replace("_", " ")} ${current} != ${sz}.`);
        if (name === "key_size") def.keySize = sz;
        else def.valueSize = sz;
        break;
      }
      case "key":
      case "value": {
        const { id, size } = typeField(btf, map, name, mtype, fail);
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
        const progArray = def.type === MapDefType.PROG_ARRAY;
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
        if (btf.kind(ptr) !== Kind.PTR) fail(map, `${desc} def is of unexpected kind ${kindName(btf, ptr)}.`);
        const target = btf.skipModsAndTypedefs(btf.refType(ptr));
        if (progArray) {
          if (btf.kind(target) !== Kind.FUNC_PROTO) {
            fail(map, `prog-array value def is of unexpected kind ${kindName(btf, target)}.`);
          }
          def.progArrayValues = true;
          break;
        }
        if (btf.kind(target) !== Kind.STRUCT) {
          fail(map, `map-in-map inner def is of unexpected kind ${kindName(btf, target)}.`);
        }
        def.inner = parseInto(btf, `${map}.inner`, target, fail, true);
        break;
      }
      case "pinning": {
        if (isInner) fail(map, "inner def can't be pinned.");
        const value = intField(btf, map, name, mtype, fail);
        if (value !== 0 && value !== 1) fail(map, `invalid pinning value ${value}.`);
        def.pinning = value;
        break;
      }
      default:
        fail(map, `unknown field '${name}'.`);
    }
  }
  if (def.type === 0) fail(map, "map type isn't specified.");
  return def;
}
