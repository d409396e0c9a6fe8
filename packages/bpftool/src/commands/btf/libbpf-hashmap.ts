// libbpf's hashmap (hashmap.c) as bpftool's `btf show` uses it: one entry per (BTF id, program or map id), keys
// hashed as themselves. The ids of one BTF object are printed in the order of its bucket's chain, which depends on
// insertion order and on every resize: emulating the table gives the same order as bpftool, so the plain text
// (`prog_ids 14242,14240`) matches and not only the set.

const GOLDEN = 11400714819323198485n;
const MIN_CAP_BITS = 2;

interface Entry {
  readonly key: number;
  readonly value: number;
  next: Entry | undefined;
}

/** hash_bits on LP64: the top `bits` bits of key * golden ratio, mod 2^64. */
function hashBits(key: number, bits: number): number {
  if (bits === 0) return 0;
  return Number(BigInt.asUintN(64, BigInt(key) * GOLDEN) >> BigInt(64 - bits));
}

export class LibbpfMultiMap {
  #buckets: (Entry | undefined)[] = [];
  #capBits = 0;
  #size = 0;

  /** hashmap__append: another value for `key`, kept alongside the ones it already has. */
  append(key: number, value: number): void {
    const cap = this.#buckets.length;
    if (cap === 0 || Math.floor(((this.#size + 1) * 4) / 3) > cap) this.#grow();
    const h = hashBits(key, this.#capBits);
    this.#buckets[h] = { key, value, next: this.#buckets[h] };
    this.#size++;
  }

  /** hashmap__for_each_key_entry: the values of `key`, in chain order. */
  values(key: number): number[] {
    const out: number[] = [];
    if (this.#buckets.length === 0) return out;
    for (let e = this.#buckets[hashBits(key, this.#capBits)]; e !== undefined; e = e.next) {
      if (e.key === key) out.push(e.value);
    }
    return out;
  }

  #grow(): void {
    const bits = Math.max(this.#capBits + 1, MIN_CAP_BITS);
    const buckets: (Entry | undefined)[] = new Array(2 ** bits).fill(undefined);
    for (const head of this.#buckets) {
      for (let e = head; e !== undefined; ) {
        const next = e.next;
        const h = hashBits(e.key, bits);
        e.next = buckets[h];
        buckets[h] = e;
        e = next;
      }
    }
    this.#buckets = buckets;
    this.#capBits = bits;
  }
}
