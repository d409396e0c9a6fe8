// Shared mappings of BPF_F_MMAPABLE maps: global data read and written without syscalls.
import type { MappedMemory } from "@bpfkit/loader";
import { BpfSyscallError, KernelBackendError } from "./errors.js";
import { lastErrno, mmapShared, munmap, PROT_READ, PROT_WRITE, replaceWithAnonymous, viewOf } from "./libc.js";
import { errnoName } from "./syscall.js";

export const PAGE_SIZE = 4096;

// The address range is finally released when the ArrayBuffer over it is unreachable, never earlier: a JS view
// that outlives `unmap()` must not point at unmapped memory (external ArrayBuffers cannot be detached).
const released = new FinalizationRegistry<{ address: number; length: number }>((held) => {
  munmap(held.address, held.length);
});

/**
 * A mapping of a map fd. `bytes` is a view over the mapped pages (koffi.view: an external ArrayBuffer, no copy).
 * `unmap()` swaps the map's pages for private zero pages, so the map is released while stale views stay safe; the
 * address range itself goes back to the OS when the buffer is garbage collected.
 */
export class MapMemory implements MappedMemory {
  #bytes: Uint8Array;
  readonly #address: number;
  readonly #length: number;
  #closed = false;
  readonly #onClose: ((m: MapMemory) => void) | undefined;

  constructor(fd: number, size: number, writable: boolean, onClose?: (m: MapMemory) => void) {
    if (!Number.isInteger(size) || size <= 0) throw new KernelBackendError(`cannot map ${size} bytes`);
    const length = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const address = mmapShared(fd, length, writable ? PROT_READ | PROT_WRITE : PROT_READ);
    if (address === undefined) {
      const errno = lastErrno();
      const hint = errno === 1 ? "the map is not BPF_F_MMAPABLE, or it is frozen and mapped writable" : "";
      throw new BpfSyscallError("mmap", errno, errnoName(errno), `map fd ${fd}, ${length} bytes`, hint);
    }
    this.#address = address;
    this.#length = length;
    const buffer = viewOf(address, length);
    released.register(buffer, { address, length });
    this.#bytes = new Uint8Array(buffer, 0, size);
    this.#onClose = onClose;
  }

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  unmap(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bytes = new Uint8Array(0);
    if (!replaceWithAnonymous(this.#address, this.#length)) {
      // Could not swap the pages: keep the mapping (and the map) alive rather than risk a dangling view.
    }
    this.#onClose?.(this);
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}
