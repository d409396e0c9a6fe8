// Walking a map's entries in bpftool's order (get_next_key from the start, then a lookup of each key). Hash and
// array maps are read with BPF_MAP_LOOKUP_BATCH instead, which visits the same buckets and indices in the same
// order with far fewer syscalls; when the kernel refuses batches the walk falls back to one key at a time.
import { MapType } from "@bpfkit/asm";
import type { Backend, Fd, MapInfo } from "@bpfkit/loader";
import { errnoOf } from "../../cli/errors.js";
import { valueBufferSize } from "./common.js";

const ENOENT = 2;
const ENOSPC = 28;

export type Visit = (key: Uint8Array, value: Uint8Array | undefined, errno: number) => void;

const BATCHED: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
]);

/** Entries per batch call: enough that a dump of a large map costs a few dozen syscalls. */
const BATCH_ENTRIES = 1024;

/**
 * Calls `visit` for each entry (value undefined and errno set when its lookup failed). Returns bpftool's result:
 * 0 when the walk reached the end, else -errno of the get_next_key call that failed.
 */
export function walkMap(backend: Backend, fd: Fd, info: MapInfo, visit: Visit): number {
  const valueBytes = valueBufferSize(info);
  let prev: Uint8Array | null = null;
  if (BATCHED.has(info.type) && info.keySize > 0) {
    const batched = walkBatched(backend, fd, info, valueBytes, visit);
    if (batched.done) return 0;
    prev = batched.lastKey;
  }
  return walkByKey(backend, fd, info, valueBytes, prev, visit);
}

function walkByKey(
  backend: Backend,
  fd: Fd,
  info: MapInfo,
  valueBytes: number,
  start: Uint8Array | null,
  visit: Visit,
): number {
  let prev = start;
  for (;;) {
    const key = new Uint8Array(Math.max(info.keySize, 1));
    try {
      if (!backend.mapGetNextKey(fd, prev, key)) return 0;
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === undefined) throw error;
      return errno === ENOENT ? 0 : -errno;
    }
    const value = new Uint8Array(Math.max(valueBytes, 1));
    let errno = 0;
    try {
      if (!backend.mapLookup(fd, key, value)) errno = ENOENT;
    } catch (error) {
      const e = errnoOf(error);
      if (e === undefined) throw error;
      errno = e;
    }
    visit(key, errno === 0 ? value : undefined, errno);
    prev = key;
  }
}

/**
 * Batched reads from the start. `done` when every entry was visited; otherwise `lastKey` is where a key-by-key
 * walk continues (null: from the start, nothing was visited).
 */
function walkBatched(
  backend: Backend,
  fd: Fd,
  info: MapInfo,
  valueBytes: number,
  visit: Visit,
): { done: boolean; lastKey: Uint8Array | null } {
  let count = Math.max(1, Math.min(BATCH_ENTRIES, info.maxEntries));
  let keys = new Uint8Array(count * info.keySize);
  let values = new Uint8Array(count * valueBytes);
  const token = new Uint8Array(Math.max(info.keySize, 8));
  let inBatch: Uint8Array | null = null;
  let lastKey: Uint8Array | null = null;
  for (;;) {
    let result: { count: number; done: boolean };
    try {
      result = backend.mapLookupBatch(fd, { inBatch, outBatch: token, keys, values, count });
    } catch (error) {
      // A hash bucket with more entries than fit: retry with room for more.
      if (errnoOf(error) === ENOSPC && count < info.maxEntries) {
        count = Math.min(count * 4, info.maxEntries);
        keys = new Uint8Array(count * info.keySize);
        values = new Uint8Array(count * valueBytes);
        continue;
      }
      return { done: false, lastKey };
    }
    for (let i = 0; i < result.count; i++) {
      const key = keys.slice(i * info.keySize, (i + 1) * info.keySize);
      visit(key, values.subarray(i * valueBytes, (i + 1) * valueBytes), 0);
      lastKey = key;
    }
    if (result.done) return { done: true, lastKey };
    if (result.count === 0) return { done: false, lastKey };
    inBatch = token.slice();
  }
}
