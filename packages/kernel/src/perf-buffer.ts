// Reading a BPF_MAP_TYPE_PERF_EVENT_ARRAY the way libbpf's perf_buffer__new_raw does: one perf event
// (PERF_COUNT_SW_BPF_OUTPUT) per CPU, its ring mmap'd, its fd stored in the map at the CPU's slot; then poll(2)
// and the records between the ring's tail and head. Records come back raw (perf_event_header first) so callers
// can read samples, lost-event counts or anything else the kernel writes.
import { readFileSync } from "node:fs";
import type { Fd } from "@bpfkit/loader";
import { StructBuffer } from "./attr/attr.js";
import { BpfSyscallError, KernelBackendError } from "./errors.js";
import type { KernelBackend } from "./kernel-backend.js";
import {
  addressOf,
  closeFd,
  ioctl,
  lastErrno,
  mmapShared,
  munmap,
  PROT_READ,
  PROT_WRITE,
  perfEventOpen,
  poll,
  viewOf,
  withAnchor,
} from "./libc.js";
import { possibleCpus } from "./possible-cpus.js";
import { errnoName } from "./syscall.js";

const PAGE_SIZE = 4096;
const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_BPF_OUTPUT = 10;
const PERF_SAMPLE_TIME = 1 << 2;
const PERF_SAMPLE_RAW = 1 << 10;
const PERF_FLAG_FD_CLOEXEC = 8;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_ATTR_SIZE = 128;
/** perf_event_mmap_page: data_head and data_tail. */
const DATA_HEAD = 1024;
const DATA_TAIL = 1032;
const POLLIN = 1;
const EINTR = 4;

/** One record from a CPU's ring: `bytes` starts with struct perf_event_header (type u32, misc u16, size u16). */
export interface PerfRecord {
  readonly cpu: number;
  /** The map slot the CPU's event is stored at. */
  readonly key: number;
  readonly type: number;
  readonly bytes: Uint8Array;
}

export interface PerfEventArrayOptions {
  /** Ring size in pages (a power of two); default 16, as bpftool's event_pipe. */
  readonly pageCount?: number;
  /** Only these CPUs, each with the map slot it goes to; default every online CPU at its own slot. */
  readonly cpus?: readonly { readonly cpu: number; readonly key: number }[];
}

interface CpuRing {
  readonly cpu: number;
  readonly key: number;
  readonly fd: number;
  readonly address: number;
  readonly view: DataView;
  readonly data: Uint8Array;
}

function onlineCpus(): Set<number> {
  const online = new Set<number>();
  try {
    for (const part of readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) continue;
      for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) online.add(c);
    }
  } catch {
    // without the file every possible CPU is taken as online
    for (let c = 0; c < possibleCpus(); c++) online.add(c);
  }
  return online;
}

function perfError(what: string, errno: number, detail: string): BpfSyscallError {
  return new BpfSyscallError(what, errno, errnoName(errno), detail);
}

/**
 * The reader of one perf event array. `close()` (or the backend's close) releases the events and rings; the map
 * slots then point to closed events, which the kernel clears.
 */
export class PerfEventArrayReader {
  readonly #rings: CpuRing[] = [];
  readonly #pollfds: ArrayBuffer;
  readonly #dataSize: number;
  readonly #backend: KernelBackend;
  readonly #map: Fd;
  #closed = false;

  constructor(backend: KernelBackend, map: Fd, options: PerfEventArrayOptions = {}) {
    this.#backend = backend;
    this.#map = map;
    const pages = options.pageCount ?? 16;
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0)
      throw new KernelBackendError(`perf buffer size must be a power of 2 pages, not ${pages}`);
    this.#dataSize = pages * PAGE_SIZE;
    let targets = options.cpus;
    // libbpf: every possible CPU up to the map's size, offline ones skipped
    if (targets === undefined) {
      const online = onlineCpus();
      const max = backend.mapInfo(map).maxEntries;
      const count = Math.min(possibleCpus(), max || Number.MAX_SAFE_INTEGER);
      targets = [];
      const all: { cpu: number; key: number }[] = [];
      for (let cpu = 0; cpu < count; cpu++) if (online.has(cpu)) all.push({ cpu, key: cpu });
      targets = all;
    }
    const attr = new StructBuffer(PERF_ATTR_SIZE);
    attr
      .u32(0, PERF_TYPE_SOFTWARE)
      .u32(4, PERF_ATTR_SIZE)
      .u64(8, BigInt(PERF_COUNT_SW_BPF_OUTPUT))
      .u64(16, 1n)
      .u64(24, BigInt(PERF_SAMPLE_RAW | PERF_SAMPLE_TIME))
      .u32(48, 1);
    try {
      for (const { cpu, key } of targets) this.#open(backend, map, attr.address, cpu, key);
    } catch (error) {
      this.close();
      throw error;
    }
    this.#pollfds = new ArrayBuffer(Math.max(8, this.#rings.length * 8));
    const fds = new DataView(this.#pollfds);
    this.#rings.forEach((ring, i) => {
      fds.setInt32(i * 8, ring.fd, true);
      fds.setInt16(i * 8 + 4, POLLIN, true);
    });
  }

  #open(backend: KernelBackend, map: Fd, attrAddress: number, cpu: number, key: number): void {
    const fd = perfEventOpen(attrAddress, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) throw perfError("perf_event_open", -fd, `cpu ${cpu}`);
    const length = PAGE_SIZE + this.#dataSize;
    const address = mmapShared(fd, length, PROT_READ | PROT_WRITE);
    if (address === undefined) {
      const errno = lastErrno();
      closeFd(fd);
      throw perfError("mmap", errno, `perf event of cpu ${cpu}`);
    }
    const buffer = viewOf(address, length);
    const ring: CpuRing = {
      cpu,
      key,
      fd,
      address,
      view: new DataView(buffer),
      data: new Uint8Array(buffer, PAGE_SIZE, this.#dataSize),
    };
    this.#rings.push(ring);
    const enabled = ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    if (enabled < 0) throw perfError("ioctl(PERF_EVENT_IOC_ENABLE)", -enabled, `cpu ${cpu}`);
    const keyBytes = new Uint8Array(4);
    new DataView(keyBytes.buffer).setUint32(0, key, true);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setInt32(0, fd, true);
    backend.mapUpdate(map, keyBytes, value, 0);
  }

  /** CPUs being read. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /**
   * Waits up to `timeoutMs` for events, then returns every record waiting in the rings (possibly none). An
   * interrupted wait (a signal) returns what is there.
   */
  poll(timeoutMs: number): PerfRecord[] {
    if (this.#closed) throw new KernelBackendError("perf buffer is closed");
    const n = withAnchor(this.#pollfds, () => poll(addressOf(this.#pollfds), this.#rings.length, timeoutMs));
    if (n < 0 && -n !== EINTR) throw perfError("poll", -n, "perf buffer");
    const records: PerfRecord[] = [];
    for (const ring of this.#rings) this.#drain(ring, records);
    return records;
  }

  #drain(ring: CpuRing, out: PerfRecord[]): void {
    const size = this.#dataSize;
    const head = ring.view.getBigUint64(DATA_HEAD, true);
    let tail = ring.view.getBigUint64(DATA_TAIL, true);
    while (tail < head) {
      const start = Number(tail % BigInt(size));
      const header = this.#copy(ring, start, 8);
      const hv = new DataView(header.buffer);
      const recordSize = hv.getUint16(6, true);
      if (recordSize < 8) break; // a corrupt ring: stop rather than spin
      const bytes = this.#copy(ring, start, recordSize);
      out.push({ cpu: ring.cpu, key: ring.key, type: hv.getUint32(0, true), bytes });
      tail += BigInt(recordSize);
    }
    ring.view.setBigUint64(DATA_TAIL, tail, true);
  }

  /** `length` bytes of the ring from `start`, across its end if need be. */
  #copy(ring: CpuRing, start: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.min(length, this.#dataSize - start);
    out.set(ring.data.subarray(start, start + first));
    if (first < length) out.set(ring.data.subarray(0, length - first), first);
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ring of this.#rings) {
      // Empty the slot first, as libbpf does: the map must not keep the event (and its ring) alive.
      try {
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, ring.key, true);
        if (!this.#map.closed) this.#backend.mapDelete(this.#map, key);
      } catch {}
      munmap(ring.address, PAGE_SIZE + this.#dataSize);
      closeFd(ring.fd);
    }
    this.#rings.length = 0;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
