// A base BTF prepared once for any number of split-BTF dedups against it (e.g. many modules on one vmlinux):
// parsed and validated, its candidate hashes computed, its strings indexed by content.

import { Btf } from "../btf.js";
import { Kind, kindOf } from "../kinds.js";
import { StringSet } from "../string-set.js";
import { hashArray, hashCommon, hashEnum, hashFuncProto, hashIntOrDeclTag, hashStruct } from "./compare.js";
import { BtfDedupError } from "./errors.js";

/** Marks base types that never enter the candidate index (VAR, DATASEC). */
export const NOT_INDEXED = -1;

export interface DedupBase {
  /** The base, parsed. */
  readonly btf: Btf;
  /** Candidate hash of each base type (index = id - 1), or NOT_INDEXED. */
  readonly hashes: readonly number[];
  /** Content index of the base string section, first occurrence of each string. */
  readonly strings: StringSet;
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
  return indexDedupBase(Btf.parse(base, { section: "base .BTF" }));
}

/** Indexes a parsed base BTF. */
export function indexDedupBase(btf: Btf): DedupBase {
  if (btf.base) {
    throw new BtfDedupError("BAD_ARGUMENT", "dedup of split BTF whose base is itself split is not supported", {
      section: ".BTF",
    });
  }
  const hashes: number[] = [];
  for (const at of btf.starts) hashes.push(candidateHash(btf.words, at));
  return { btf, hashes, strings: StringSet.ofSection(btf.strings.bytes) };
}
