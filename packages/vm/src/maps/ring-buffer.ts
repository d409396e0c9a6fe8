// BPF_MAP_TYPE_RINGBUF: records the program reserves and submits (or writes with bpf_ringbuf_output), for the host
// to consume in order. The data area is one region of max_entries bytes; each record sits in it behind an
// 8-byte header, as in the kernel, and never wraps (one that would is placed at the start when the consumer has
// made room). A reservation the program does not submit or discard holds back the records after it.

import type { Region, VmMemory } from "../memory.js";
import { Errno, type VmMap } from "./map.js";

const HEADER = 8;

/** Bytes a record takes in the ring: its header, then its data padded to 8 bytes. */
const footprint = (size: number) => HEADER + Math.ceil(size / 8) * 8;

interface RingRecord {
  /** Offset of the record's data in the region. */
  readonly at: number;
  readonly size: number;
  state: "reserved" | "committed" | "discarded";
}

export class RingBufferMap implements VmMap {
  readonly region: Region;
  private readonly records: RingRecord[] = [];
  private head = 0;

  constructor(
    private readonly memory: VmMemory,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.region = memory.allocate(`ring buffer ${name}`, maxEntries, true);
  }

  private used(): number {
    return this.records.reduce((sum, r) => sum + footprint(r.size), 0);
  }

  /** Address of a new record's data, or undefined when the ring is full. */
  reserve(size: number): number | undefined {
    const need = footprint(size);
    if (size === 0 || need > this.maxEntries - this.used()) return undefined;
    let at = this.head;
    if (at + need > this.maxEntries) at = 0;
    const oldest = this.records[0];
    if (oldest && at <= oldest.at - HEADER && at + need > oldest.at - HEADER) return undefined;
    this.head = at + need;
    const record: RingRecord = { at: at + HEADER, size, state: "reserved" };
    this.records.push(record);
    return this.region.start + record.at;
  }

  /** Commits (or discards) the record whose data starts at `address`; false when it is not a reservation. */
  finish(address: number, discard: boolean): boolean {
    const record = this.records.find((r) => this.region.start + r.at === address && r.state === "reserved");
    if (!record) return false;
    record.state = discard ? "discarded" : "committed";
    return true;
  }

  /** The committed records in order, removed from the ring (stops at the first still reserved). */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.records.length > 0 && this.records[0]!.state !== "reserved") {
      const r = this.records.shift()!;
      if (r.state === "committed") {
        out.push(this.memory.bytes.slice(this.region.offset + r.at, this.region.offset + r.at + r.size));
      }
    }
    return out;
  }

  lookup(): number | undefined {
    return undefined;
  }
  update(): number {
    return Errno.EINVAL;
  }
  delete(): number {
    return Errno.EINVAL;
  }
  nextKey(): Uint8Array | undefined {
    return undefined;
  }
  value(): Uint8Array {
    return new Uint8Array(0);
  }
}
