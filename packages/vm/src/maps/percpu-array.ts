// BPF_MAP_TYPE_PERCPU_ARRAY: one value per CPU per index. A program sees the value of the CPU it runs on (the
// VM's `cpu`); the host reads and writes all CPUs at once, each value in an 8-byte aligned slot, as the kernel's
// syscall interface lays them out.

import type { Region, VmMemory } from "../memory.js";
import { badUpdateFlags, Errno, type PerCpuMap, UpdateFlags, u32At, u32Bytes, valueStride } from "./map.js";

export class PerCpuArrayMap implements PerCpuMap {
  readonly region: Region;
  private readonly stride: number;

  constructor(
    private readonly memory: VmMemory,
    readonly cpus: number,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.stride = valueStride(valueSize);
    this.region = memory.allocate(`map ${name}`, this.stride * maxEntries * cpus, true);
  }

  private index(key: Uint8Array): number {
    return u32At(key);
  }

  /** The program's view: CPU `cpu`'s value. */
  lookupOnCpu(key: Uint8Array, cpu: number): number | undefined {
    const i = this.index(key);
    if (i >= this.maxEntries) return undefined;
    return this.region.start + (i * this.cpus + cpu) * this.stride;
  }

  lookup(key: Uint8Array): number | undefined {
    return this.lookupOnCpu(key, 0);
  }

  /** All CPUs' values of `key`, packed in 8-byte slots (the host's view). */
  allCpus(key: Uint8Array): Uint8Array | undefined {
    const first = this.lookup(key);
    if (first === undefined) return undefined;
    return this.memory.at(first, this.stride * this.cpus);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags)) return Errno.EINVAL;
    const all = this.allCpus(key);
    if (!all) return Errno.E2BIG;
    if (flags & UpdateFlags.NOEXIST) return Errno.EEXIST;
    // BPF_F_LOCK takes the value's bpf_spin_lock, which VM values never have (the kernel's EINVAL without one).
    if (flags & UpdateFlags.LOCK) return Errno.EINVAL;
    // The host gives one slot per CPU; a shorter value (a single one) goes to every CPU.
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const from = value.length >= this.stride * this.cpus ? cpu * this.stride : 0;
      all.set(value.subarray(from, from + this.valueSize), cpu * this.stride);
    }
    return 0;
  }

  delete(): number {
    return Errno.EINVAL;
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    // A key past the end restarts from the first, as the kernel's array_map_get_next_key does.
    const index = key === null ? this.maxEntries : this.index(key);
    const next = index >= this.maxEntries ? 0 : index + 1;
    return next < this.maxEntries ? u32Bytes(next) : undefined;
  }

  value(address: number): Uint8Array {
    return this.memory.at(address, this.valueSize);
  }
}
