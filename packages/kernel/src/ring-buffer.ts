// Reading a BPF_MAP_TYPE_RINGBUF from user space as libbpf's ring_buffer__poll does: the consumer page mapped
// writable, the producer page and the data area (mapped twice by the kernel, so a record never wraps) read-only;
// poll(2) on the map fd, then every committed record between the consumer and producer positions.
import type { Fd } from "@bpfkit/loader";
import { BpfSyscallError, KernelBackendError } from "./errors.js";
import type { KernelBackend } from "./kernel-backend.js";
import { addressOf, lastErrno, mmapSharedAt, munmap, PROT_READ, PROT_WRITE, poll, viewOf, withAnchor } from "./libc.js";
import { errnoName } from "./syscall.js";

const PAGE_SIZE = 4096;
const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;
const POLLIN = 1;
const EINTR = 4;
const RINGBUF = 27;

/**
 * The reader of one ring buffer map. Records are copied out; `close()` unmaps (the map itself is the caller's).
 */
export class RingBufferReader {
  readonly #fd: number;
  readonly #size: number;
  readonly #consumer: number;
  readonly #producer: number;
  readonly #consumerView: DataView;
  readonly #producerView: DataView;
  readonly #data: Uint8Array;
  readonly #pollfd = new ArrayBuffer(8);
  #closed = false;

  constructor(backend: KernelBackend, map: Fd) {
    const info = backend.mapInfo(map);
    if (info.type !== RINGBUF) throw new KernelBackendError(`map fd ${map.value} is not a ring buffer`);
    this.#fd = map.value;
    this.#size = info.maxEntries;
    const consumer = mmapSharedAt(this.#fd, PAGE_SIZE, PROT_READ | PROT_WRITE, 0);
    if (consumer === undefined) throw this.#error("mmap", "consumer page");
    const producer = mmapSharedAt(this.#fd, PAGE_SIZE + 2 * this.#size, PROT_READ, PAGE_SIZE);
    if (producer === undefined) {
      const error = this.#error("mmap", "producer pages");
      munmap(consumer, PAGE_SIZE);
      throw error;
    }
    this.#consumer = consumer;
    this.#producer = producer;
    this.#consumerView = new DataView(viewOf(consumer, PAGE_SIZE));
    const producerBuffer = viewOf(producer, PAGE_SIZE + 2 * this.#size);
    this.#producerView = new DataView(producerBuffer, 0, PAGE_SIZE);
    this.#data = new Uint8Array(producerBuffer, PAGE_SIZE, 2 * this.#size);
    const fds = new DataView(this.#pollfd);
    fds.setInt32(0, this.#fd, true);
    fds.setInt16(4, POLLIN, true);
  }

  #error(what: string, detail: string): BpfSyscallError {
    const errno = lastErrno();
    return new BpfSyscallError(what, errno, errnoName(errno), `ring buffer fd ${this.#fd}, ${detail}`);
  }

  /** Waits up to `timeoutMs` for data, then returns every committed record (discarded ones are skipped). */
  poll(timeoutMs: number): Uint8Array[] {
    if (this.#closed) throw new KernelBackendError("ring buffer reader is closed");
    const n = withAnchor(this.#pollfd, () => poll(addressOf(this.#pollfd), 1, timeoutMs));
    if (n < 0 && -n !== EINTR) throw new BpfSyscallError("poll", -n, errnoName(-n), `ring buffer fd ${this.#fd}`);
    const records: Uint8Array[] = [];
    const mask = BigInt(this.#size - 1);
    let consumer = this.#consumerView.getBigUint64(0, true);
    const producer = this.#producerView.getBigUint64(0, true);
    while (consumer < producer) {
      const at = Number(consumer & mask);
      const header = new DataView(this.#data.buffer, this.#data.byteOffset + at, HEADER);
      const word = header.getUint32(0, true);
      if (word & BUSY) break; // reserved, not committed yet
      const length = word & ~(BUSY | DISCARD);
      if (!(word & DISCARD)) records.push(this.#data.slice(at + HEADER, at + HEADER + length));
      consumer += BigInt((length + HEADER + 7) & ~7);
      this.#consumerView.setBigUint64(0, consumer, true);
    }
    return records;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    munmap(this.#consumer, PAGE_SIZE);
    munmap(this.#producer, PAGE_SIZE + 2 * this.#size);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
