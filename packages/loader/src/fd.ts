// An owned handle to a kernel (or VM) object. Syscall-free: whoever creates the handle passes the function
// that releases it, so the same class serves the bpf(2) backend and a userspace VM.

/** Thrown when a handle is used after `close()`. */
export class ClosedFdError extends Error {
  override readonly name = "ClosedFdError";
  /** The descriptor number the handle held before it was closed. */
  readonly fd: number;

  constructor(fd: number, label: string) {
    super(`${label} fd ${fd} is already closed`);
    this.fd = fd;
  }
}

interface Releaser {
  readonly fd: number;
  readonly release: (fd: number) => void;
}

// Backstop for handles the program forgot to close. Finalizers run late or never, so this only limits the damage
// of a leak; correct code closes explicitly or uses `using`.
const unreachable = new FinalizationRegistry<Releaser>((held) => {
  try {
    held.release(held.fd);
  } catch {
    // A finalizer has nobody to report to; the descriptor may already be gone with the process.
  }
});

/**
 * An owned file descriptor (or VM handle number). Closing releases the object; closing twice is a no-op; using
 * `value` after close throws `ClosedFdError` instead of silently naming whatever the number refers to next.
 */
export class Fd {
  readonly #fd: number;
  readonly #release: (fd: number) => void;
  readonly #onClose: ((fd: Fd) => void) | undefined;
  #closed = false;
  /** What the descriptor refers to, for messages ("map", "prog", "btf", "link", ...). */
  readonly label: string;

  /**
   * @param fd descriptor number, owned from now on
   * @param release closes the descriptor; called exactly once
   * @param label kind of object, used in messages
   * @param onClose notified after release (a backend uses it to forget the handle)
   */
  constructor(fd: number, release: (fd: number) => void, label = "object", onClose?: (fd: Fd) => void) {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`invalid descriptor ${fd}`);
    this.#fd = fd;
    this.#release = release;
    this.#onClose = onClose;
    this.label = label;
    unreachable.register(this, { fd, release }, this);
  }

  /** The descriptor number. Throws `ClosedFdError` after `close()`. */
  get value(): number {
    if (this.#closed) throw new ClosedFdError(this.#fd, this.label);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Releases the object. A second call does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unreachable.unregister(this);
    try {
      this.#release(this.#fd);
    } finally {
      this.#onClose?.(this);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return this.#closed ? `${this.label} fd (closed)` : `${this.label} fd ${this.#fd}`;
  }
}
