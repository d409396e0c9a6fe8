// Type signature hashes and structural comparisons, on word indices into one type-words array.
// The hashes only need to agree with equality (equal types hash equal); they are 32-bit, not libbpf's 64-bit
// values, which is fine because candidate order is decided by CandidateTable, not by hash values.
import { Kind, kindOf, vlenOf } from "../kinds.js";

const mix = (h: number, v: number): number => (Math.imul(h, 31) + v) | 0;

/** name, info, size|type. */
export function hashCommon(w: Uint32Array, a: number): number {
  return mix(mix(mix(0, w[a] as number), w[a + 1] as number), w[a + 2] as number);
}

export function equalCommon(w: Uint32Array, a: number, b: number): boolean {
  return w[a] === w[b] && w[a + 1] === w[b + 1] && w[a + 2] === w[b + 2];
}

/** INT and DECL_TAG: common fields plus the one extra word. */
export function hashIntOrDeclTag(w: Uint32Array, a: number): number {
  return mix(hashCommon(w, a), w[a + 3] as number);
}

export function equalIntOrDeclTag(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 3] === w[b + 3];
}

/** ENUM/ENUM64 hash only the name, so that an enum forward declaration meets its full definition. */
export function hashEnum(w: Uint32Array, a: number): number {
  return w[a] as number;
}

export function equalEnum(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const info = w[a + 1] as number;
  const memberWords = (kindOf(info) === Kind.ENUM ? 2 : 3) * vlenOf(info);
  for (let i = 3; i < 3 + memberWords; i++) if (w[a + i] !== w[b + i]) return false;
  return true;
}

const isAnyEnum = (info: number): boolean => kindOf(info) === Kind.ENUM || kindOf(info) === Kind.ENUM64;

export function isEnumFwd(w: Uint32Array, a: number): boolean {
  const info = w[a + 1] as number;
  return isAnyEnum(info) && vlenOf(info) === 0;
}

/** Equal enums, or a forward-declared enum (vlen 0) and any enum/enum64 with the same name. */
export function compatEnum(w: Uint32Array, a: number, b: number): boolean {
  if (!isEnumFwd(w, a) && !isEnumFwd(w, b)) return equalEnum(w, a, b);
  return w[a] === w[b] && isAnyEnum(w[a + 1] as number) && isAnyEnum(w[b + 1] as number);
}

/** STRUCT/UNION: common fields, member names and offsets; member types are left to graph equivalence. */
export function hashStruct(w: Uint32Array, a: number): number {
  let h = hashCommon(w, a);
  const vlen = vlenOf(w[a + 1] as number);
  for (let i = 0, m = a + 3; i < vlen; i++, m += 3) {
    h = mix(h, w[m] as number);
    h = mix(h, w[m + 2] as number);
  }
  return h;
}

export function shallowEqualStruct(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const vlen = vlenOf(w[a + 1] as number);
  for (let i = 0, ma = a + 3, mb = b + 3; i < vlen; i++, ma += 3, mb += 3) {
    if (w[ma] !== w[mb] || w[ma + 2] !== w[mb + 2]) return false;
  }
  return true;
}

export function hashArray(w: Uint32Array, a: number): number {
  return mix(mix(mix(hashCommon(w, a), w[a + 3] as number), w[a + 4] as number), w[a + 5] as number);
}

export function equalArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 3] === w[b + 3] && w[a + 4] === w[b + 4] && w[a + 5] === w[b + 5];
}

/** Arrays with the same element count; element and index types are left to graph equivalence. */
export function compatArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 5] === w[b + 5];
}

export function hashFuncProto(w: Uint32Array, a: number): number {
  let h = hashCommon(w, a);
  const vlen = vlenOf(w[a + 1] as number);
  for (let i = 0, p = a + 3; i < vlen; i++, p += 2) {
    h = mix(h, w[p] as number);
    h = mix(h, w[p + 1] as number);
  }
  return h;
}

export function equalFuncProto(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const vlen = vlenOf(w[a + 1] as number);
  for (let i = 0, pa = a + 3, pb = b + 3; i < vlen; i++, pa += 2, pb += 2) {
    if (w[pa] !== w[pb] || w[pa + 1] !== w[pb + 1]) return false;
  }
  return true;
}

/** Same name, info and parameter names; return and parameter types are left to graph equivalence. */
export function compatFuncProto(w: Uint32Array, a: number, b: number): boolean {
  if (w[a] !== w[b] || w[a + 1] !== w[b + 1]) return false;
  const vlen = vlenOf(w[a + 1] as number);
  for (let i = 0, pa = a + 3, pb = b + 3; i < vlen; i++, pa += 2, pb += 2) if (w[pa] !== w[pb]) return false;
  return true;
}
