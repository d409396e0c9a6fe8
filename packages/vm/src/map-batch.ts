// The batch map commands (BPF_MAP_LOOKUP_BATCH, LOOKUP_AND_DELETE_BATCH, UPDATE_BATCH, DELETE_BATCH) for the VM,
// built on its one-entry operations with the kernel's rules: the map types that have them, a batch that reaches
// the end reports done (the kernel's ENOENT), the token is where the next call resumes (the last key read, as in
// the kernel's generic_map_lookup_batch, so a resumed walk visits what get_next_key would). Failures carry the
// kernel's errno.

import { MapType } from "@bpfkit/asm";
import type { MapBatchLookup, MapBatchLookupResult, MapBatchWrite } from "@bpfkit/loader";
import { VmError } from "./errors.js";
import { type VmMap, valueStride } from "./maps/map.js";

const EPERM = 1;
const EINVAL = 22;
/** The kernel's ENOTSUPP: the map type has no such batch operation. */
const ENOTSUPP = 524;

const { HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH } = MapType;
const HASHES = new Set<number>([HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH]);
const ARRAYS = new Set<number>([ARRAY, PERCPU_ARRAY]);
const PER_CPU = new Set<number>([PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH]);

/** A VM failure with the errno the kernel gives for the same call (what callers of bpf(2) branch on). */
function mapError(errno: number, message: string): VmError {
  return new VmError("MAP", `${message} (errno ${errno})`, { errno });
}

/** What a batch needs of one VM map: its shape and its one-entry operations (the backend's, with their rules). */
export interface BatchTarget {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly frozen: boolean;
  /** CPUs of per-CPU values (their syscall layout: one 8-byte aligned slot each). */
  readonly cpus: number;
  nextKey(key: Uint8Array | null): Uint8Array | undefined;
  /** Copies the value (all CPUs' for per-CPU maps) into `value`; false when there is none. */
  lookup(key: Uint8Array, value: Uint8Array): boolean;
  /** 0 or the kernel's errno. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0 or the kernel's errno. */
  delete(key: Uint8Array): number;
}

/** Bytes of one value in a batch: the value, or one 8-byte aligned slot per CPU. */
function valueBytes(map: BatchTarget): number {
  return PER_CPU.has(map.type) ? valueStride(map.valueSize) * map.cpus : map.valueSize;
}

function check(map: BatchTarget, command: string, supported: boolean, flags: number | undefined): void {
  if (!supported) throw mapError(ENOTSUPP, `map '${map.name}' (type ${map.type}) has no ${command}`);
  if ((flags ?? 0) !== 0) throw mapError(EINVAL, `${command}: flags must be 0`);
}

function room(what: string, bytes: Uint8Array, need: number): void {
  if (bytes.length < need) throw mapError(EINVAL, `${what} hold ${bytes.length} bytes, ${need} needed`);
}

/** BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
export function lookupBatch(map: BatchTarget, batch: MapBatchLookup, andDelete: boolean): MapBatchLookupResult {
  const command = andDelete ? "lookup-and-delete batch" : "lookup batch";
  check(map, command, HASHES.has(map.type) || (!andDelete && ARRAYS.has(map.type)), batch.flags);
  if (andDelete && map.frozen) throw mapError(EPERM, `map '${map.name}' is frozen`);
  const size = valueBytes(map);
  room("keys", batch.keys, batch.count * map.keySize);
  room("values", batch.values, batch.count * size);
  if (batch.count === 0) return { count: 0, done: false };
  room("out_batch", batch.outBatch, map.keySize);
  let prev: Uint8Array | null = batch.inBatch === null ? null : batch.inBatch.slice(0, map.keySize);
  const read: Uint8Array[] = [];
  let count = 0;
  let done = false;
  while (count < batch.count) {
    const key = map.nextKey(prev);
    if (key === undefined) {
      done = true;
      break;
    }
    prev = key;
    const value = batch.values.subarray(count * size, (count + 1) * size);
    if (!map.lookup(key, value)) continue;
    batch.keys.set(key, count * map.keySize);
    read.push(key);
    count++;
  }
  // the token is the last key read (the kernel leaves it as it was when nothing was read)
  if (count > 0) batch.outBatch.set(read[count - 1]!);
  if (andDelete) for (const key of read) map.delete(key);
  return { count, done };
}

/** BPF_MAP_UPDATE_BATCH: every entry, in order; the first failure stops the batch (and is thrown). */
export function updateBatch(map: BatchTarget, batch: MapBatchWrite): number {
  check(map, "update batch", HASHES.has(map.type) || ARRAYS.has(map.type), batch.flags);
  if (batch.values === undefined) throw mapError(EINVAL, "update batch: values are missing");
  const size = valueBytes(map);
  room("keys", batch.keys, batch.count * map.keySize);
  room("values", batch.values, batch.count * size);
  if (map.frozen) throw mapError(EPERM, `map '${map.name}' is frozen`);
  for (let i = 0; i < batch.count; i++) {
    const key = batch.keys.subarray(i * map.keySize, (i + 1) * map.keySize);
    const errno = map.update(key, batch.values.subarray(i * size, (i + 1) * size), batch.elemFlags ?? 0);
    if (errno !== 0) throw mapError(errno, `map '${map.name}' update batch: ${i} of ${batch.count} entries done`);
  }
  return batch.count;
}

/** BPF_MAP_DELETE_BATCH: every key, in order; the first failure (a missing key: ENOENT) stops the batch. */
export function deleteBatch(map: BatchTarget, batch: MapBatchWrite): number {
  check(map, "delete batch", HASHES.has(map.type) || ARRAYS.has(map.type), batch.flags);
  room("keys", batch.keys, batch.count * map.keySize);
  if (map.frozen) throw mapError(EPERM, `map '${map.name}' is frozen`);
  for (let i = 0; i < batch.count; i++) {
    const errno = map.delete(batch.keys.subarray(i * map.keySize, (i + 1) * map.keySize));
    if (errno !== 0) throw mapError(errno, `map '${map.name}' delete batch: ${i} of ${batch.count} entries done`);
  }
  return batch.count;
}

/** A VM map and its state as a batch sees it; `lookup` is the backend's (per-CPU and id-array rules included). */
export function batchTarget(
  entry: { readonly map: VmMap; readonly frozen: boolean },
  cpus: number,
  lookup: (key: Uint8Array, value: Uint8Array) => boolean,
): BatchTarget {
  const { map, frozen } = entry;
  return {
    name: map.name,
    type: map.type,
    keySize: map.keySize,
    valueSize: map.valueSize,
    frozen,
    cpus,
    nextKey: (key) => map.nextKey(key),
    lookup,
    update: (key, value, flags) => map.update(key, value, flags),
    delete: (key) => map.delete(key),
  };
}
