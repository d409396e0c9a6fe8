// A map of a Collection: raw-byte access always, typed access (`get`/`set`) through the map's BTF key and value
// types when the object has them. Per-CPU maps read and write one value per possible CPU, each in an 8-byte
// aligned slot, as the kernel lays them out.

import type { Btf } from "@bpfkit/btf";
import {
  type Backend,
  decodeValue,
  encodeValue,
  type Fd,
  LoaderError,
  type MapInfo,
  type MapSpec,
  type TypedInput,
  type TypedValue,
} from "@bpfkit/loader";

/** Map types whose lookups return one value per possible CPU. */
const PER_CPU_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */, 21]);

/** A key as raw bytes, or a typed value encoded with the key's BTF type (a plain number for 4-byte keys without). */
export type MapKey = Uint8Array | TypedInput;

export class MapHandle {
  readonly #backend: Backend;
  readonly #btf: Btf | undefined;
  readonly #cpus: number;
  readonly fd: Fd;
  readonly spec: MapSpec;

  constructor(backend: Backend, fd: Fd, spec: MapSpec, btf: Btf | undefined, possibleCpus: number) {
    this.#backend = backend;
    this.fd = fd;
    this.spec = spec;
    this.#btf = btf;
    this.#cpus = possibleCpus;
  }

  get name(): string {
    return this.spec.name;
  }

  get perCpu(): boolean {
    return PER_CPU_TYPES.has(this.spec.type);
  }

  /** Bytes of one lookup result: the value, or per-CPU slots of round_up(value_size, 8). */
  get valueBufferSize(): number {
    return this.perCpu ? Math.ceil(this.spec.valueSize / 8) * 8 * this.#cpus : this.spec.valueSize;
  }

  info(): MapInfo {
    return this.#backend.mapInfo(this.fd);
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    const value = new Uint8Array(this.valueBufferSize);
    return this.#backend.mapLookup(this.fd, key, value) ? value : undefined;
  }

  /** `flags`: 0 any, 1 BPF_NOEXIST, 2 BPF_EXIST. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#backend.mapUpdate(this.fd, key, value, flags);
  }

  delete(key: Uint8Array): boolean {
    return this.#backend.mapDelete(this.fd, key);
  }

  *keys(): Generator<Uint8Array> {
    let previous: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.spec.keySize);
      if (!this.#backend.mapGetNextKey(this.fd, previous, next)) return;
      yield next;
      previous = next;
    }
  }

  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value]; // deleted between get_next_key and lookup
    }
  }

  /** Key bytes from a typed key (BTF key type; a 4-byte key without BTF takes a u32). */
  encodeKey(key: MapKey): Uint8Array {
    if (key instanceof Uint8Array) return key;
    if (this.#btf && this.spec.btfKeyTypeId !== 0) return encodeValue(this.#btf, this.spec.btfKeyTypeId, key, true);
    if (this.spec.keySize === 4 && typeof key === "number" && Number.isInteger(key) && key >= 0 && key < 2 ** 32) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, key, true);
      return out;
    }
    throw new LoaderError("BAD_VALUE", `map '${this.name}' has no BTF key type: pass the key as bytes`, {
      map: this.name,
    });
  }

  decodeKey(key: Uint8Array): TypedValue {
    if (this.#btf && this.spec.btfKeyTypeId !== 0) return decodeValue(this.#btf, this.spec.btfKeyTypeId, key, true);
    if (this.spec.keySize === 4) return new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    return Array.from(key);
  }

  #typeOrThrow(): { btf: Btf; typeId: number } {
    if (!this.#btf || this.spec.btfValueTypeId === 0) {
      throw new LoaderError("BAD_VALUE", `map '${this.name}' has no BTF value type: use lookup/update with bytes`, {
        map: this.name,
      });
    }
    return { btf: this.#btf, typeId: this.spec.btfValueTypeId };
  }

  /** The value decoded with its BTF type; per-CPU maps give one value per possible CPU. */
  decodeValue(bytes: Uint8Array): TypedValue {
    const { btf, typeId } = this.#typeOrThrow();
    if (!this.perCpu) return decodeValue(btf, typeId, bytes, true);
    const stride = Math.ceil(this.spec.valueSize / 8) * 8;
    const out: TypedValue[] = [];
    for (let cpu = 0; cpu < this.#cpus; cpu++) {
      out.push(decodeValue(btf, typeId, bytes.subarray(cpu * stride, cpu * stride + this.spec.valueSize), true));
    }
    return out;
  }

  /** Value bytes from a typed value; per-CPU maps take an array (one per CPU) or one value for every CPU. */
  encodeValue(value: TypedInput): Uint8Array {
    const { btf, typeId } = this.#typeOrThrow();
    if (!this.perCpu) return encodeValue(btf, typeId, value, true);
    const stride = Math.ceil(this.spec.valueSize / 8) * 8;
    const out = new Uint8Array(this.valueBufferSize);
    for (let cpu = 0; cpu < this.#cpus; cpu++) {
      const one = Array.isArray(value) && value.length === this.#cpus ? value[cpu] : value;
      out.set(encodeValue(btf, typeId, one, true), cpu * stride);
    }
    return out;
  }

  get(key: MapKey): TypedValue | undefined {
    this.#typeOrThrow(); // a map without value type is an error even when the key is absent
    const bytes = this.lookup(this.encodeKey(key));
    return bytes === undefined ? undefined : this.decodeValue(bytes);
  }

  set(key: MapKey, value: TypedInput, flags = 0): void {
    this.update(this.encodeKey(key), this.encodeValue(value), flags);
  }

  *typedEntries(): Generator<[TypedValue, TypedValue]> {
    for (const [key, value] of this.entries()) yield [this.decodeKey(key), this.decodeValue(value)];
  }
}
