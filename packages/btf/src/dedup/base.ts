// A base BTF prepared once for any number of split-BTF dedups against it (e.g. many modules on one vmlinux):
// parsed and validated, its candidate hashes computed, its strings indexed by content.

import { Kind } from "../kinds.js";
import { hashArray, hashCommon, hashEnum, hashFuncProto, hashIntOrDeclTag, hashStruct } from "./compare.js";
import { kindOf } from "./kinds.js";
import { parseRawBtf, type RawBtf } from "./raw-btf.js";
import { StringTable } from "./string-table.js";

/** Marks base types that never enter the candidate index (VAR, DATASEC). */
export const NOT_INDEXED = -1;

export interface DedupBase {
  readonly raw: RawBtf;
  /** Candidate hash of each base type (index = id - 1), or NOT_INDEXED. */
  readonly hashes: readonly number[];
  /** Content index of the base string section, first occurrence of each string. */
  readonly strings: StringTable;
}

/** The hash a type is indexed under, by kind (what libbpf's btf_dedup_prep computes for base types). */
export function candidateHash(w: Uint32Array, at: number): number {
  switch (kindOf(w[at + 1] as number)) {
    case Kind.VAR:
    case Kind.DATASEC:
      return NOT_INDEXED;
    case Kind.INT:
    case Kind.DECL_TAG:
      return hashIntOrDeclTag(w, at);
    case Kind.ENUM:
    case Kind.ENUM64:
      return hashEnum(w, at);
    case Kind.STRUCT:
    case Kind.UNION:
      return hashStruct(w, at);
    case Kind.ARRAY:
      return hashArray(w, at);
    case Kind.FUNC_PROTO:
      return hashFuncProto(w, at);
    default:
      return hashCommon(w, at);
  }
}

/** Parses, validates and indexes a raw base BTF. */
export function prepareDedupBase(base: Uint8Array): DedupBase {
  return indexDedupBase(parseRawBtf(base, undefined, "base .BTF"));
}

/** Indexes an already validated base BTF. */
export function indexDedupBase(raw: RawBtf): DedupBase {
  const hashes: number[] = [];
  for (const at of raw.typeStarts) hashes.push(candidateHash(raw.words, at));
  return { raw, hashes, strings: StringTable.ofSection(raw.strings) };
}
