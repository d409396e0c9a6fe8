// A map of the VM. Values live in VmMemory regions, so the pointer a lookup gives the program is a real address
// it can load from and store to (and only within the value). Keys are compared as bytes.

import { MapType } from "@bpfkit/asm";

/** Linux errno values the VM's maps and helpers report (the kernel's answers for the same calls). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EAGAIN: 11,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  /** The kernel's own "operation not supported" (524), which strerror does not know. */
  ENOTSUPP: 524,
} as const;

export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2, /** BPF_F_LOCK */ LOCK: 4 } as const;

/** The kernel's first check of update flags: EINVAL for anything beyond ANY/NOEXIST/EXIST and BPF_F_LOCK. */
export function badUpdateFlags(flags: number): boolean {
  return (flags & ~UpdateFlags.LOCK) >>> 0 > UpdateFlags.EXIST;
}

/**
 * Bytes a value takes in the map's storage: the kernel rounds value_size up to 8 for array elements and per-CPU
 * slots (round_up(value_size, 8)), so each value starts 8-byte aligned.
 */
export function valueStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

export interface VmMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Address of the value for `key`, or undefined. */
  lookup(key: Uint8Array): number | undefined;
  /** 0, or the errno the kernel gives. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0, or the errno the kernel gives. */
  delete(key: Uint8Array): number;
  /** The key after `key` (the first with null), or undefined at the end. */
  nextKey(key: Uint8Array | null): Uint8Array | undefined;
  /** The value bytes at a lookup's address (a view). */
  value(address: number): Uint8Array;
}

/** A map with one value per CPU: programs see their CPU's, the host all of them. */
export interface PerCpuMap extends VmMap {
  readonly cpus: number;
  lookupOnCpu(key: Uint8Array, cpu: number): number | undefined;
  /** All CPUs' values of `key`, each in an 8-byte aligned slot (the syscall layout). */
  allCpus(key: Uint8Array): Uint8Array | undefined;
}

/**
 * A map of values without keys (queue, stack, bloom filter): the push/pop/peek helpers and the host's keyless
 * update/lookup/lookup-and-delete. Each answers 0 or the kernel's errno.
 */
export interface ValueMap extends VmMap {
  push(value: Uint8Array, flags: number): number;
  /** Copies the next value into `into` (and for pop removes it); for a bloom filter, tests `into`. */
  peek(into: Uint8Array): number;
  pop(into: Uint8Array): number;
}

export function isPerCpu(map: VmMap): map is PerCpuMap {
  return "allCpus" in map && (map as PerCpuMap).cpus > 0 && PER_CPU_TYPES.has(map.type);
}

export function isValueMap(map: VmMap): map is ValueMap {
  return "push" in map;
}

const PER_CPU_TYPES = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);

/** A little-endian u32 at `at` of `bytes`. */
export function u32At(bytes: Uint8Array, at = 0): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** `n` as 4 little-endian bytes. */
export function u32Bytes(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}
