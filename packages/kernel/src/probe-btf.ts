// Tiny raw BTF blobs for feature probes: each exercises one BTF kind the kernel may not know. Built by hand
// (u32 type words + string table, written by @bpfkit/btf's one BTF writer) so each probe is exactly the few records
// it means to test.
import { Kind, writeBtfBlob } from "@bpfkit/btf";
import { HOST_LITTLE_ENDIAN } from "./attr/attr.js";

const info = (kind: number, vlen = 0, kflag = 0) => ((kflag << 31) | (kind << 24) | vlen) >>> 0;

/** Assembles a raw BTF object from type words and a string table ("\0"-separated, leading "\0"). */
export function rawBtf(types: readonly number[], strings: string): Uint8Array {
  return writeBtfBlob({
    words: Uint32Array.from(types),
    strings: new TextEncoder().encode(strings),
    littleEndian: HOST_LITTLE_ENDIAN,
  });
}

// String offsets in "\0int\0x\0.data\0tag\0?.data\0e\0".
const S_INT = 1;
const S_X = 5;
const S_DATA = 7;
const S_TAG = 13;
const S_QDATA = 17;
const S_E = 24;
const STRINGS = "\0int\0x\0.data\0tag\0?.data\0e\0";

/** [1] int: 32-bit signed. */
const INT32 = [S_INT, info(Kind.INT), 4, (1 << 24) | 32];

/** Probe blobs by feature. Each must load on a kernel that has the feature and fail on one that does not. */
export const BTF_PROBES = {
  btf: () => rawBtf([...INT32], STRINGS),
  /** [2] FUNC_PROTO void(void), [3] FUNC x static. */
  btfFunc: () => rawBtf([...INT32, 0, info(Kind.FUNC_PROTO), 0, S_X, info(Kind.FUNC), 2], STRINGS),
  /** Same with global linkage (vlen 1). */
  btfGlobalFunc: () => rawBtf([...INT32, 0, info(Kind.FUNC_PROTO), 0, S_X, info(Kind.FUNC, 1), 2], STRINGS),
  /** [2] VAR x: int (global), [3] DATASEC .data { x at 0, 4 bytes }. */
  btfDatasec: () => rawBtf([...INT32, S_X, info(Kind.VAR), 1, 1, S_DATA, info(Kind.DATASEC, 1), 4, 2, 0, 4], STRINGS),
  /** The same with the DATASEC named "?.data". */
  btfQmarkDatasec: () =>
    rawBtf([...INT32, S_X, info(Kind.VAR), 1, 1, S_QDATA, info(Kind.DATASEC, 1), 4, 2, 0, 4], STRINGS),
  /** [2] FLOAT of 4 bytes. */
  btfFloat: () => rawBtf([...INT32, S_INT, info(Kind.FLOAT), 4], STRINGS),
  /** [2] VAR x, [3] DECL_TAG "tag" on it (component_idx -1). */
  btfDeclTag: () => rawBtf([...INT32, S_X, info(Kind.VAR), 1, 1, S_TAG, info(Kind.DECL_TAG), 2, 0xffffffff], STRINGS),
  /** [2] TYPE_TAG "tag" -> int, [3] PTR -> [2]. */
  btfTypeTag: () => rawBtf([...INT32, S_TAG, info(Kind.TYPE_TAG), 1, 0, info(Kind.PTR), 2], STRINGS),
  /** [2] ENUM64 e (8 bytes) { x = 1 }. */
  btfEnum64: () => rawBtf([...INT32, S_E, info(Kind.ENUM64, 1), 8, S_X, 1, 0], STRINGS),
} as const;

/** BTF with `int` as type 1, for map types whose key/value must be described by BTF (local storage). */
export const intBtf = (): Uint8Array => rawBtf([...INT32], STRINGS);
