// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf ring per CPU index. In the kernel, a slot holds a perf event the reader
// opened, and bpf_perf_event_output to an empty slot fails with ENOENT. The VM has no perf events: every slot
// below max_entries is open, and what programs output waits for the host (`perfEventRecords`), in order, with the
// CPU index each record went to.

import { Errno, type VmMap } from "./map.js";

/** A record as the kernel backend's PerfEventArrayReader gives it. */
export interface PerfRecord {
  readonly cpu: number;
  /** The map slot it went to. */
  readonly key: number;
  /** PERF_RECORD_SAMPLE. */
  readonly type: number;
  readonly bytes: Uint8Array;
}

const PERF_RECORD_SAMPLE = 9;

/** BPF_F_CURRENT_CPU: the index of the CPU the program runs on. */
const CURRENT_CPU = 0xffffffff;

export class PerfEventArrayMap implements VmMap {
  private records: PerfRecord[] = [];

  constructor(
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {}

  /** bpf_perf_event_output's index (the low 32 bits of its flags): 0 or the kernel's errno. */
  output(index: number, cpu: number, data: Uint8Array): number {
    const target = index === CURRENT_CPU ? cpu : index;
    if (target >= this.maxEntries) return Errno.E2BIG;
    this.records.push({ cpu: target, key: target, type: PERF_RECORD_SAMPLE, bytes: data.slice() });
    return 0;
  }

  /** Takes the records out, oldest first. */
  consume(): PerfRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  // The host's keyed view: the slots hold no value it can read back (the kernel answers ENOENT/EINVAL too).
  lookup(): number | undefined {
    return undefined;
  }
  update(): number {
    return 0;
  }
  delete(): number {
    return 0;
  }
  nextKey(): Uint8Array | undefined {
    return undefined;
  }
  value(): Uint8Array {
    return new Uint8Array(0);
  }
}
