// The VM's maps against plain models of the kernel's semantics: random operation sequences on a hash map (with
// deletes that exercise backward-shift deletion, and LRU eviction), an LPM trie's longest match and post-order
// walk, queue/stack order, and the bloom filter's no-false-negatives promise.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VmMemory } from "../memory.js";
import { BloomFilterMap } from "./bloom-filter.js";
import { HashMap } from "./hash.js";
import { LpmTrieMap } from "./lpm-trie.js";
import { Errno, UpdateFlags, u32Bytes } from "./map.js";
import { QueueStackMap } from "./queue-stack.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("HashMap", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("update" as const), key: fc.nat(40), value: fc.nat(), flags: fc.nat(2) }),
    fc.record({ kind: fc.constant("delete" as const), key: fc.nat(40) }),
  );

  it("agrees with a Map model under random updates and deletes (and iterates every element once)", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 300 }), (ops) => {
        const map = new HashMap(new VmMemory(), { lru: false, cpus: 1 }, 1, 4, 8, 16, 0, "h");
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === "delete") {
            expect(map.delete(u32Bytes(o.key))).toBe(model.delete(o.key) ? 0 : Errno.ENOENT);
            continue;
          }
          const exists = model.has(o.key);
          let expected = 0;
          if (o.flags === UpdateFlags.NOEXIST && exists) expected = Errno.EEXIST;
          else if (o.flags === UpdateFlags.EXIST && !exists) expected = Errno.ENOENT;
          else if (!exists && model.size === 16) expected = Errno.E2BIG;
          expect(
            map.update(u32Bytes(o.key), new Uint8Array(new BigUint64Array([BigInt(o.value)]).buffer), o.flags),
          ).toBe(expected);
          if (expected === 0) model.set(o.key, o.value);
        }
        for (const [key, value] of model) {
          const at = map.lookup(u32Bytes(key));
          expect(at).toBeDefined();
          expect(new DataView(map.value(at!).slice().buffer).getBigUint64(0, true)).toBe(BigInt(value));
        }
        const walked: string[] = [];
        for (let k = map.nextKey(null); k; k = map.nextKey(k)) walked.push(hex(k));
        expect(walked.sort()).toEqual([...model.keys()].map((k) => hex(u32Bytes(k))).sort());
      }),
      { numRuns: 200 },
    );
  });

  it("as an LRU map evicts the least recently used element when full", () => {
    const map = new HashMap(new VmMemory(), { lru: true, cpus: 1 }, 9, 4, 8, 3, 0, "lru");
    const v = new Uint8Array(8);
    for (const k of [1, 2, 3]) expect(map.update(u32Bytes(k), v, 0)).toBe(0);
    map.lookup(u32Bytes(1)); // 2 is now the oldest
    expect(map.update(u32Bytes(4), v, 0)).toBe(0);
    expect(map.lookup(u32Bytes(2))).toBeUndefined();
    expect([1, 3, 4].every((k) => map.lookup(u32Bytes(k)) !== undefined)).toBe(true);
  });

  it("keeps per-CPU values apart and gives the host all of them", () => {
    const map = new HashMap(new VmMemory(), { lru: false, cpus: 3 }, 5, 4, 4, 4, 0, "pcpu");
    const all = new Uint8Array(24);
    all.set([1], 0);
    all.set([2], 8);
    all.set([3], 16);
    expect(map.update(u32Bytes(7), all, 0)).toBe(0);
    expect(map.value(map.lookupOnCpu(u32Bytes(7), 2)!)[0]).toBe(3);
    expect(Array.from(map.allCpus(u32Bytes(7))!)).toEqual(Array.from(all));
  });
});

describe("LpmTrieMap", () => {
  const key = (prefixlen: number, ...addr: number[]) => {
    const k = new Uint8Array(8);
    new DataView(k.buffer).setUint32(0, prefixlen, true);
    k.set(addr, 4);
    return k;
  };
  const valueAt = (map: LpmTrieMap, k: Uint8Array) => {
    const at = map.lookup(k);
    return at === undefined ? undefined : map.value(at)[0];
  };

  it("finds the longest matching prefix, within the key's own length", () => {
    const map = new LpmTrieMap(new VmMemory(), 11, 8, 1, 8, 1, "trie");
    expect(map.update(key(8, 10), Uint8Array.of(8), 0)).toBe(0);
    expect(map.update(key(16, 10, 1), Uint8Array.of(16), 0)).toBe(0);
    expect(map.update(key(0), Uint8Array.of(0), 0)).toBe(0);
    expect(valueAt(map, key(32, 10, 1, 2, 3))).toBe(16);
    expect(valueAt(map, key(32, 10, 7, 2, 3))).toBe(8);
    expect(valueAt(map, key(12, 10, 1, 2, 3))).toBe(8);
    expect(valueAt(map, key(32, 11, 1, 2, 3))).toBe(0);
    expect(map.update(key(33, 1), Uint8Array.of(1), 0)).toBe(Errno.EINVAL);
    expect(map.delete(key(8, 10, 99))).toBe(0); // bits past the prefix do not matter
    expect(valueAt(map, key(32, 10, 7, 2, 3))).toBe(0);
  });

  it("walks in the kernel's post-order: longer prefixes first, then 0 bits before 1 bits", () => {
    const map = new LpmTrieMap(new VmMemory(), 11, 8, 1, 8, 1, "trie");
    for (const k of [key(8, 10), key(16, 10, 1), key(16, 10, 0), key(8, 192), key(1, 128)])
      map.update(k, Uint8Array.of(1), 0);
    const walked: string[] = [];
    for (let k = map.nextKey(null); k; k = map.nextKey(k)) walked.push(`${k[0]}:${k.slice(4).join(".")}`);
    expect(walked).toEqual(["16:10.0.0.0", "16:10.1.0.0", "8:10.0.0.0", "8:192.0.0.0", "1:128.0.0.0"]);
  });
});

describe("QueueStackMap and BloomFilterMap", () => {
  it("pop oldest from a queue and newest from a stack; BPF_EXIST overwrites the oldest", () => {
    for (const lifo of [false, true]) {
      const map = new QueueStackMap(new VmMemory(), lifo, lifo ? 23 : 22, 4, 2, 0, "q");
      const out = new Uint8Array(4);
      expect(map.push(u32Bytes(1), 0)).toBe(0);
      expect(map.push(u32Bytes(2), 0)).toBe(0);
      expect(map.push(u32Bytes(3), 0)).toBe(Errno.E2BIG);
      expect(map.push(u32Bytes(3), UpdateFlags.EXIST)).toBe(0);
      expect(map.push(u32Bytes(3), UpdateFlags.NOEXIST)).toBe(Errno.EINVAL);
      expect(map.pop(out)).toBe(0);
      expect(out[0]).toBe(lifo ? 3 : 2);
      expect(map.pop(out)).toBe(0);
      expect(out[0]).toBe(lifo ? 2 : 3);
      expect(map.peek(out)).toBe(Errno.ENOENT);
    }
  });

  it("a bloom filter never forgets a value it was given", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(), { maxLength: 100 }), (values) => {
        const map = new BloomFilterMap(30, 4, 100, 0, "bloom", 0);
        for (const v of values) expect(map.push(u32Bytes(v), 0)).toBe(0);
        for (const v of values) expect(map.peek(u32Bytes(v))).toBe(0);
      }),
    );
  });
});
