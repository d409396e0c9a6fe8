// BPF_MAP_TYPE_QUEUE and STACK: up to max_entries values without keys, in a ring as the kernel keeps them
// (kernel/bpf/queue_stack_maps.c). A queue pops its oldest value, a stack its newest. Pushing into a full map
// fails with E2BIG, unless BPF_EXIST asks to drop the oldest value to make room.

import type { Region, VmMemory } from "../memory.js";
import { Errno, UpdateFlags, type ValueMap } from "./map.js";

export class QueueStackMap implements ValueMap {
  readonly region: Region;
  readonly keySize = 0;
  private readonly size: number;
  private head = 0;
  private tail = 0;

  constructor(
    private readonly memory: VmMemory,
    private readonly lifo: boolean,
    readonly type: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.size = maxEntries + 1;
    this.region = memory.allocate(`map ${name}`, valueSize * this.size, false);
  }

  private slot(index: number): Uint8Array {
    const at = this.region.offset + index * this.valueSize;
    return this.memory.bytes.subarray(at, at + this.valueSize);
  }

  private get empty(): boolean {
    return this.head === this.tail;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags & ~UpdateFlags.EXIST) return Errno.EINVAL;
    if ((this.head + 1) % this.size === this.tail) {
      if (flags !== UpdateFlags.EXIST) return Errno.E2BIG;
      this.tail = (this.tail + 1) % this.size;
    }
    this.slot(this.head).set(value.subarray(0, this.valueSize));
    this.head = (this.head + 1) % this.size;
    return 0;
  }

  private take(into: Uint8Array, remove: boolean): number {
    if (this.empty) {
      into.fill(0); // as the kernel leaves the value of a failed pop or peek
      return Errno.ENOENT;
    }
    const index = this.lifo ? (this.head + this.size - 1) % this.size : this.tail;
    into.set(this.slot(index));
    if (remove) {
      if (this.lifo) this.head = index;
      else this.tail = (this.tail + 1) % this.size;
    }
    return 0;
  }

  peek(into: Uint8Array): number {
    return this.take(into, false);
  }

  pop(into: Uint8Array): number {
    return this.take(into, true);
  }

  // The keyed operations, as the kernel answers them for these maps.
  lookup(): number | undefined {
    return undefined;
  }
  update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }
  delete(): number {
    return Errno.EINVAL;
  }
  nextKey(): Uint8Array | undefined {
    return undefined;
  }
  value(address: number): Uint8Array {
    return this.memory.at(address, this.valueSize);
  }
}
