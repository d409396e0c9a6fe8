// Whether two BTF descriptions of one global symbol agree (libbpf's glob_sym_btf_matches and map_defs_match).
// The checks are libbpf's; the answers differ in one way: instead of the first difference only, a map
// mismatch lists every differing field, and the reason is returned for the caller's error and explain output.

import { type Btf, type BtfMapDef, Kind, kindString, Linkage, parseBtfMapDef } from "@bpfkit/btf";

export interface BtfRef {
  readonly btf: Btf;
  readonly id: number;
}

/** undefined when the types match, else why not. `exact` compares struct/union members too. */
export function btfMismatch(a: BtfRef, b: BtfRef, exact: boolean): string | undefined {
  const b1 = a.btf;
  const b2 = b.btf;
  let id1 = a.id;
  let id2 = b.id;
  for (;;) {
    id1 = b1.skipModsAndTypedefs(id1);
    id2 = b2.skipModsAndTypedefs(id2);
    const k1 = b1.kind(id1);
    const k2 = b2.kind(id2);
    if (!exact && (k1 === Kind.FWD) !== (k2 === Kind.FWD)) {
      const n1 = b1.nameOf(id1);
      const n2 = b2.nameOf(id2);
      if (n1 !== n2) return `incompatible forward declaration names '${n1}' and '${n2}'`;
      const [fwdBtf, fwd, otherKind] = k1 === Kind.FWD ? [b1, id1, k2] : [b2, id2, k1];
      const union = fwdBtf.kindFlag(fwd);
      if (union ? otherKind === Kind.UNION : otherKind === Kind.STRUCT) return undefined;
      return `incompatible ${union ? "union" : "struct"} forward declaration and concrete kind ${kindString(otherKind)}`;
    }
    if (k1 !== k2) return `incompatible BTF kinds ${kindString(k1)} and ${kindString(k2)}`;
    let n1 = "";
    switch (k1) {
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FWD:
      case Kind.FUNC:
      case Kind.VAR: {
        n1 = b1.nameOf(id1);
        const n2 = b2.nameOf(id2);
        if (n1 !== n2) return `incompatible ${kindString(k1)} names '${n1}' and '${n2}'`;
        break;
      }
    }
    switch (k1) {
      case Kind.UNKN:
      case Kind.FWD:
        return undefined;
      case Kind.INT:
      case Kind.FLOAT:
      case Kind.ENUM:
      case Kind.ENUM64: {
        const s1 = b1.sizeField(id1);
        const s2 = b2.sizeField(id2);
        return s1 === s2 ? undefined : `incompatible ${kindString(k1)} '${n1}' size ${s1} and ${s2}`;
      }
      case Kind.PTR:
        // Only the shape of what is pointed to: a FWD matches its struct, members are not compared.
        exact = false;
        id1 = b1.refType(id1);
        id2 = b2.refType(id2);
        continue;
      case Kind.ARRAY:
        // Index type and element count are not compared (libbpf).
        id1 = b1.arrayElemType(id1);
        id2 = b2.arrayElemType(id2);
        continue;
      case Kind.FUNC:
      case Kind.VAR: {
        const staticLinkage = (btf: Btf, id: number) => btf.linkage(id) === Linkage.STATIC;
        if (staticLinkage(b1, id1) !== staticLinkage(b2, id2)) return `incompatible ${kindString(k1)} '${n1}' linkage`;
        id1 = b1.refType(id1);
        id2 = b2.refType(id2);
        continue;
      }
      case Kind.STRUCT:
      case Kind.UNION: {
        if (!exact) return undefined;
        const vlen = b1.vlen(id1);
        if (vlen !== b2.vlen(id2)) {
          return `incompatible number of ${kindString(k1)} fields ${vlen} and ${b2.vlen(id2)}`;
        }
        for (let i = 0; i < vlen; i++) {
          const m1 = b1.memberName(id1, i);
          const m2 = b2.memberName(id2, i);
          if (m1 !== m2) return `incompatible field #${i} names '${m1}' and '${m2}'`;
          if (b1.words[b1.wordIndex(id1) + 3 + 3 * i + 2] !== b2.words[b2.wordIndex(id2) + 3 + 3 * i + 2]) {
            return `incompatible field #${i} ('${m1}') offsets`;
          }
          const inner = btfMismatch(
            { btf: b1, id: b1.memberType(id1, i) },
            { btf: b2, id: b2.memberType(id2, i) },
            exact,
          );
          if (inner) return inner;
        }
        return undefined;
      }
      case Kind.FUNC_PROTO: {
        const vlen = b1.vlen(id1);
        if (vlen !== b2.vlen(id2)) {
          return `incompatible number of ${kindString(k1)} params ${vlen} and ${b2.vlen(id2)}`;
        }
        for (let i = 0; i < vlen; i++) {
          // Parameter names are not compared (an extern declaration may leave them out).
          const inner = btfMismatch(
            { btf: b1, id: b1.paramType(id1, i) },
            { btf: b2, id: b2.paramType(id2, i) },
            exact,
          );
          if (inner) return inner;
        }
        id1 = b1.refType(id1);
        id2 = b2.refType(id2);
        continue;
      }
      default:
        return `unsupported BTF kind ${kindString(k1)}`;
    }
  }
}

/** A map definition of a VAR in `.maps`, or why it is not one. */
function mapDefOf(ref: BtfRef, symbol: string): BtfMapDef | string {
  const { btf, id } = ref;
  if (btf.kind(id) !== Kind.VAR) return `invalid map definition type [${id}]`;
  try {
    return parseBtfMapDef(btf, symbol, btf.skipModsAndTypedefs(btf.refType(id)), (map, message) => {
      throw new Error(`map '${map}': ${message}`);
    });
  } catch (e) {
    return `invalid map definition: ${(e as Error).message}`;
  }
}

/**
 * The fields two definitions of map `symbol` disagree on (empty when they match), in definition order; inner
 * map fields are prefixed `inner.`. A definition that does not parse is reported as `definition: <why>`.
 */
export function mapDefDifferences(a: BtfRef, b: BtfRef, symbol: string): string[] {
  const d1 = mapDefOf(a, symbol);
  const d2 = mapDefOf(b, symbol);
  if (typeof d1 === "string") return [`definition: ${d1}`];
  if (typeof d2 === "string") return [`definition: ${d2}`];
  return defDifferences(a.btf, d1, b.btf, d2, "");
}

function defDifferences(b1: Btf, d1: BtfMapDef, b2: Btf, d2: BtfMapDef, prefix: string): string[] {
  const out: string[] = [];
  const field = (name: string, v1: number | bigint, v2: number | bigint) => {
    if (v1 !== v2) out.push(`${prefix}${name} (${v1} vs ${v2})`);
  };
  const typeField = (name: string, t1: number, t2: number) => {
    if (!t1 !== !t2) out.push(`${prefix}${name} (${t1 ? "typed" : "untyped"} vs ${t2 ? "typed" : "untyped"})`);
    else if (t1) {
      const why = btfMismatch({ btf: b1, id: t1 }, { btf: b2, id: t2 }, true);
      if (why) out.push(`${prefix}${name} (${why})`);
    }
  };
  field("type", d1.type, d2.type);
  field("key_size", d1.keySize, d2.keySize);
  typeField("key type", d1.keyTypeId, d2.keyTypeId);
  field("value_size", d1.valueSize, d2.valueSize);
  typeField("value type", d1.valueTypeId, d2.valueTypeId);
  field("max_entries", d1.maxEntries, d2.maxEntries);
  field("map_flags", d1.flags, d2.flags);
  field("numa_node", d1.numaNode, d2.numaNode);
  field("pinning", d1.pinning, d2.pinning);
  if (!d1.inner !== !d2.inner)
    out.push(`${prefix}inner map (${d1.inner ? "present" : "absent"} vs ${d2.inner ? "present" : "absent"})`);
  else if (d1.inner && d2.inner) out.push(...defDifferences(b1, d1.inner, b2, d2.inner, `${prefix}inner.`));
  return out;
}
