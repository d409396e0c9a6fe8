// Map element and batch commands. The element commands are the hot path (a lookup should cost little more than
// the syscall), so they reuse one attr buffer and one off-heap key/value scratch area whose addresses are
// written once, and copy keys and values with plain loops instead of allocating views.

import { MapType } from "@bpfkit/asm";
import type { Fd, MapBatchLookup, MapBatchLookupResult, MapBatchWrite } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { MapBatch, MapElem, MapFreeze } from "./attr/layout.js";
import { KernelBackendError } from "./errors.js";
import { addressOf } from "./libc.js";
import { possibleCpus } from "./possible-cpus.js";
import { bpf, bpfOrThrow, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

const ENOENT = 2;

/** How many bytes an element command reads and writes for one map. */
export interface MapShape {
  readonly mapType: number;
  readonly keySize: number;
  /** Bytes of one value as user space sees it (per-CPU maps: round_up(value_size, 8) * possible CPUs). */
  readonly valueBytes: number;
}

const PER_CPU_TYPES: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
  MapType.PERCPU_CGROUP_STORAGE,
]);

export function mapShape(mapType: number, keySize: number, valueSize: number): MapShape {
  const valueBytes = PER_CPU_TYPES.has(mapType) ? Math.ceil(valueSize / 8) * 8 * possibleCpus() : valueSize;
  return { mapType, keySize, valueBytes };
}

function copyInto(target: Uint8Array, source: Uint8Array, length: number): void {
  if (length <= 64) {
    for (let i = 0; i < length; i++) target[i] = source[i] as number;
  } else {
    target.set(source.subarray(0, length));
  }
}

export class MapOps {
  readonly #attr = new StructBuffer(MapElem.size);
  #key = new Uint8Array(0);
  #value = new Uint8Array(0);
  #keyAddress = 0;
  #valueAddress = 0;
  /** Last map fd and flags written into the attr: skipping unchanged writes keeps repeated lookups cheap. */
  #fd = -1;
  #flags = 0;
  /** Shapes of the maps we have seen, so buffers can be checked before the kernel writes into them. */
  readonly #shapes = new WeakMap<Fd, MapShape>();
  readonly #describe: (map: Fd) => MapShape;

  constructor(describe: (map: Fd) => MapShape) {
    this.#describe = describe;
    this.#ensureScratch(64, 256);
  }

  remember(map: Fd, shape: MapShape): void {
    this.#shapes.set(map, shape);
  }

  shapeOf(map: Fd): MapShape {
    let shape = this.#shapes.get(map);
    if (shape === undefined) {
      shape = this.#describe(map);
      this.#shapes.set(map, shape);
    }
    return shape;
  }

  #ensureScratch(keySize: number, valueSize: number): void {
    if (keySize <= this.#key.length && valueSize <= this.#value.length) return;
    const keyCapacity = Math.max(keySize, this.#key.length);
    const valueCapacity = Math.max(valueSize, this.#value.length);
    const key = new ArrayBuffer(keyCapacity);
    const value = new ArrayBuffer(valueCapacity);
    this.#key = new Uint8Array(key);
    this.#value = new Uint8Array(value);
    this.#keyAddress = addressOf(key);
    this.#valueAddress = addressOf(value);
    this.#attr.retain(key, value).u64(MapElem.key, this.#keyAddress).u64(MapElem.value, this.#valueAddress);
  }

  /** Validates buffers against the map and stages the key; returns the shape. */
  #prepare(map: Fd, key: Uint8Array | null, value: Uint8Array | null, what: string): MapShape {
    const fd = map.value;
    const shape = this.shapeOf(map);
    if (key !== null && key.length < shape.keySize)
      throw new KernelBackendError(`${what}: key has ${key.length} bytes, map fd ${fd} needs ${shape.keySize}`);
    if (value !== null && value.length < shape.valueBytes)
      throw new KernelBackendError(`${what}: value has ${value.length} bytes, map fd ${fd} needs ${shape.valueBytes}`);
    // The value slot doubles as next_key, so it must hold a key too.
    this.#ensureScratch(shape.keySize, Math.max(shape.valueBytes, shape.keySize));
    if (fd !== this.#fd) {
      this.#attr.u32(MapElem.mapFd, fd);
      this.#fd = fd;
    }
    if (key !== null && shape.keySize > 0) copyInto(this.#key, key, shape.keySize);
    return shape;
  }

  #setFlags(flags: number): void {
    if (flags === this.#flags) return;
    this.#attr.u64(MapElem.flags, flags);
    this.#flags = flags;
  }

  /** Key pointer: the scratch key, or NULL for "no key" (first key / queue and stack maps). */
  #setKeyPointer(present: boolean): void {
    // Re-set each call because getNextKey may have nulled it.
    this.#attr.u64(MapElem.key, present ? this.#keyAddress : 0);
  }

  lookup(map: Fd, key: Uint8Array | null, value: Uint8Array, flags: number, cmd: number = BpfCmd.MAP_LOOKUP_ELEM) {
    const shape = this.#prepare(map, key, value, "map lookup");
    if (key === null) this.#setKeyPointer(false);
    this.#setFlags(flags);
    const result = bpf(cmd, this.#attr, MapElem.size);
    if (key === null) this.#setKeyPointer(true);
    if (result < 0) {
      if (result === -ENOENT) return false;
      throw syscallError(cmd, -result, `map fd ${map.value}`);
    }
    copyInto(value, this.#value, shape.valueBytes);
    return true;
  }

  update(map: Fd, key: Uint8Array | null, value: Uint8Array, flags: number): void {
    const shape = this.#prepare(map, key, value, "map update");
    copyInto(this.#value, value, shape.valueBytes);
    if (key === null) this.#setKeyPointer(false);
    this.#setFlags(flags);
    const result = bpf(BpfCmd.MAP_UPDATE_ELEM, this.#attr, MapElem.size);
    if (key === null) this.#setKeyPointer(true);
    if (result < 0) throw syscallError(BpfCmd.MAP_UPDATE_ELEM, -result, `map fd ${map.value}`);
  }

  delete(map: Fd, key: Uint8Array): boolean {
    this.#prepare(map, key, null, "map delete");
    // DELETE_ELEM ends at `key`: the kernel refuses any non-zero byte after it, so the value pointer goes too.
    this.#setFlags(0);
    this.#attr.u64(MapElem.value, 0);
    const result = bpf(BpfCmd.MAP_DELETE_ELEM, this.#attr, MapElem.size);
    this.#attr.u64(MapElem.value, this.#valueAddress);
    if (result === -ENOENT) return false;
    if (result < 0) throw syscallError(BpfCmd.MAP_DELETE_ELEM, -result, `map fd ${map.value}`);
    return true;
  }

  getNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    const shape = this.#prepare(map, key, null, "map get_next_key");
    if (nextKey.length < shape.keySize)
      throw new KernelBackendError(
        `map get_next_key: next key buffer too small (${nextKey.length} < ${shape.keySize})`,
      );
    if (key === null) this.#setKeyPointer(false);
    this.#setFlags(0);
    const result = bpf(BpfCmd.MAP_GET_NEXT_KEY, this.#attr, MapElem.size);
    if (key === null) this.#setKeyPointer(true);
    if (result === -ENOENT) return false;
    if (result < 0) throw syscallError(BpfCmd.MAP_GET_NEXT_KEY, -result, `map fd ${map.value}`);
    copyInto(nextKey, this.#value, shape.keySize);
    return true;
  }

  freeze(map: Fd): void {
    const attr = new StructBuffer(MapFreeze.size);
    attr.u32(MapFreeze.mapFd, map.value);
    bpfOrThrow(BpfCmd.MAP_FREEZE, attr, MapFreeze.size, `map fd ${map.value}`);
  }

  lookupBatch(map: Fd, batch: MapBatchLookup, andDelete: boolean): MapBatchLookupResult {
    const cmd = andDelete ? BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH : BpfCmd.MAP_LOOKUP_BATCH;
    const shape = this.shapeOf(map);
    const count = checkCount(batch.count, batch.keys, batch.values, shape, "map lookup batch");
    const staging = new Staging();
    const attr = new StructBuffer(MapBatch.size).retain(staging);
    const outBatch = staging.output(batch.outBatch.length);
    const keys = staging.output(count * shape.keySize);
    const values = staging.output(count * shape.valueBytes);
    attr
      .u64(MapBatch.inBatch, batch.inBatch === null ? 0 : staging.input(batch.inBatch))
      .u64(MapBatch.outBatch, outBatch.address)
      .u64(MapBatch.keys, keys.address)
      .u64(MapBatch.values, values.address)
      .u32(MapBatch.count, count)
      .u32(MapBatch.mapFd, map.value)
      .u64(MapBatch.elemFlags, batch.elemFlags ?? 0)
      .u64(MapBatch.flags, batch.flags ?? 0);
    const result = bpf(cmd, attr, MapBatch.size);
    staging.release();
    if (result < 0 && result !== -ENOENT) throw syscallError(cmd, -result, `map fd ${map.value}`);
    const done = result === -ENOENT;
    const got = attr.getU32(MapBatch.count);
    batch.keys.set(keys.bytes.subarray(0, got * shape.keySize));
    batch.values.set(values.bytes.subarray(0, got * shape.valueBytes));
    batch.outBatch.set(outBatch.bytes);
    return { count: got, done };
  }

  writeBatch(map: Fd, batch: MapBatchWrite, cmd: number): number {
    const shape = this.shapeOf(map);
    const isUpdate = cmd === BpfCmd.MAP_UPDATE_BATCH;
    if (isUpdate && batch.values === undefined) throw new KernelBackendError("map update batch: values are missing");
    const count = checkCount(batch.count, batch.keys, isUpdate ? (batch.values ?? null) : null, shape, "map batch");
    const staging = new Staging();
    const attr = new StructBuffer(MapBatch.size).retain(staging);
    attr
      .u64(MapBatch.keys, staging.input(batch.keys.subarray(0, count * shape.keySize)))
      .u64(
        MapBatch.values,
        isUpdate && batch.values ? staging.input(batch.values.subarray(0, count * shape.valueBytes)) : 0,
      )
      .u32(MapBatch.count, count)
      .u32(MapBatch.mapFd, map.value)
      .u64(MapBatch.elemFlags, batch.elemFlags ?? 0)
      .u64(MapBatch.flags, batch.flags ?? 0);
    const result = bpf(cmd, attr, MapBatch.size);
    staging.release();
    if (result < 0) {
      const done = attr.getU32(MapBatch.count);
      throw syscallError(cmd, -result, `map fd ${map.value}, ${done} of ${count} entries done`);
    }
    return attr.getU32(MapBatch.count);
  }
}

function checkCount(count: number, keys: Uint8Array, values: Uint8Array | null, shape: MapShape, what: string): number {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff)
    throw new KernelBackendError(`${what}: bad count ${count}`);
  if (keys.length < count * shape.keySize)
    throw new KernelBackendError(
      `${what}: keys hold ${keys.length} bytes, ${count} keys need ${count * shape.keySize}`,
    );
  if (values !== null && values.length < count * shape.valueBytes)
    throw new KernelBackendError(
      `${what}: values hold ${values.length} bytes, ${count} values need ${count * shape.valueBytes}`,
    );
  return count;
}
