// Global variables of a loaded Collection, read and written through the mmap'd value of their section's map
// (no syscall per access), decoded with their BTF type. .rodata and .kconfig are frozen after load, so they are
// mapped read-only; a data map without BPF_F_MMAPABLE (string-literal sections) falls back to lookup/update.

import type { Btf } from "@bpfkit/btf";
import {
  type Backend,
  decodeValue,
  encodeValueInto,
  type Fd,
  LoaderError,
  type MappedMemory,
  type MapSpec,
  type TypedInput,
  type TypedValue,
  type VariableSpec,
} from "@bpfkit/loader";

const BPF_F_MMAPABLE = 0x400;

/** The value area of one global data map: a shared mapping, or a syscall round trip when not mmapable. */
export class DataSection {
  readonly #backend: Backend;
  readonly #fd: Fd;
  readonly spec: MapSpec;
  #memory: MappedMemory | undefined;

  constructor(backend: Backend, fd: Fd, spec: MapSpec) {
    this.#backend = backend;
    this.#fd = fd;
    this.spec = spec;
  }

  get writable(): boolean {
    return !this.spec.freeze;
  }

  get mmapable(): boolean {
    return (this.spec.flags & BPF_F_MMAPABLE) !== 0;
  }

  /** The live bytes (mapped on first use). Undefined when the map cannot be mapped. */
  get memory(): Uint8Array | undefined {
    if (!this.mmapable) return undefined;
    if (!this.#memory || this.#memory.closed) {
      this.#memory = this.#backend.mapMemory(this.#fd, this.spec.valueSize, this.writable);
    }
    return this.#memory.bytes;
  }

  read(): Uint8Array {
    const mapped = this.memory;
    if (mapped) return mapped;
    const value = new Uint8Array(this.spec.valueSize);
    this.#backend.mapLookup(this.#fd, new Uint8Array(4), value);
    return value;
  }

  write(update: (bytes: Uint8Array) => void): void {
    const mapped = this.memory;
    if (mapped) {
      update(mapped);
      return;
    }
    const value = this.read();
    update(value);
    this.#backend.mapUpdate(this.#fd, new Uint8Array(4), value);
  }

  unmap(): void {
    this.#memory?.unmap();
    this.#memory = undefined;
  }
}

export class VariableHandle {
  readonly #section: DataSection;
  readonly #btf: Btf | undefined;
  readonly spec: VariableSpec;

  constructor(section: DataSection, spec: VariableSpec, btf: Btf | undefined) {
    this.#section = section;
    this.spec = spec;
    this.#btf = btf;
  }

  get name(): string {
    return this.spec.name;
  }

  /** False for .rodata / .kconfig: frozen after load (set them before loading, see `variables`). */
  get writable(): boolean {
    return this.#section.writable;
  }

  /** The variable's bytes (a live view into the mapping when the section is mmapable). */
  get bytes(): Uint8Array {
    return this.#section.read().subarray(this.spec.offset, this.spec.offset + this.spec.size);
  }

  get(): TypedValue {
    if (!this.#btf || this.spec.typeId === 0) {
      throw new LoaderError("BAD_VALUE", `variable '${this.name}' has no BTF type: read .bytes`, {
        symbol: this.name,
      });
    }
    return decodeValue(this.#btf, this.spec.typeId, this.bytes, true);
  }

  /** Writes the whole value (objects may leave members out: those keep their current bytes). */
  set(value: TypedInput | Uint8Array): void {
    if (!this.writable) {
      throw new LoaderError(
        "BAD_VALUE",
        `variable '${this.name}' is in ${this.spec.section}, read-only after load: set it before loading`,
        { symbol: this.name, map: this.spec.map },
      );
    }
    const btf = this.#btf;
    this.#section.write((bytes) => {
      const target = bytes.subarray(this.spec.offset, this.spec.offset + this.spec.size);
      if (value instanceof Uint8Array) {
        if (value.length !== this.spec.size) {
          throw new LoaderError(
            "BAD_VALUE",
            `variable '${this.name}' is ${this.spec.size} bytes, got ${value.length}`,
            {
              symbol: this.name,
            },
          );
        }
        target.set(value);
      } else if (btf && this.spec.typeId !== 0) {
        // encode into a copy first so a value that does not fit leaves the variable untouched
        const staged = target.slice();
        encodeValueInto(btf, this.spec.typeId, value, staged, true);
        target.set(staged);
      } else {
        throw new LoaderError("BAD_VALUE", `variable '${this.name}' has no BTF type: write bytes`, {
          symbol: this.name,
        });
      }
    });
  }
}
