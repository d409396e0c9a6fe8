// The VM's batch map commands, with the kernel's rules: resumable lookups that end with done, lookup-and-delete
// only where the kernel has it (hashes), per-CPU values in the syscall layout, errno on refusals.
import { describe, expect, it } from "vitest";
import { VmBackend } from "./backend.js";
import { VmError } from "./errors.js";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

describe("VM map batches", () => {
  it("looks a hash map up in batches, resuming from the token, then empties it", () => {
    const vm = new VmBackend();
    const map = vm.createMap({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 8, name: "h" });
    for (const n of [5, 1, 9, 3, 7]) vm.mapUpdate(map, u32(n), u32(n * 10));
    const seen: number[] = [];
    const token = new Uint8Array(4);
    let inBatch: Uint8Array | null = null;
    for (;;) {
      const keys = new Uint8Array(8);
      const values = new Uint8Array(8);
      const r = vm.mapLookupBatch(map, { inBatch, outBatch: token, keys, values, count: 2 });
      const view = new DataView(keys.buffer);
      const vals = new DataView(values.buffer);
      for (let i = 0; i < r.count; i++) {
        expect(vals.getUint32(i * 4, true)).toBe(view.getUint32(i * 4, true) * 10);
        seen.push(view.getUint32(i * 4, true));
      }
      if (r.done) break;
      inBatch = token.slice();
    }
    // every key once, in get_next_key's order
    const order: number[] = [];
    const next = new Uint8Array(4);
    for (let key: Uint8Array | null = null; vm.mapGetNextKey(map, key, next); key = next.slice())
      order.push(new DataView(next.buffer).getUint32(0, true));
    expect(seen).toEqual(order);
    const r = vm.mapLookupAndDeleteBatch(map, {
      inBatch: null,
      outBatch: token,
      keys: new Uint8Array(40),
      values: new Uint8Array(40),
      count: 10,
    });
    expect(r).toEqual({ count: 5, done: true });
    expect(vm.mapGetNextKey(map, null, next)).toBe(false);
  });

  it("updates and deletes in batches; a missing key stops a delete with ENOENT", () => {
    const vm = new VmBackend();
    const map = vm.createMap({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 8, name: "h" });
    const keys = new Uint8Array([...u32(1), ...u32(2), ...u32(3)]);
    expect(vm.mapUpdateBatch(map, { keys, values: new Uint8Array(12).fill(7), count: 3 })).toBe(3);
    const value = new Uint8Array(4);
    expect(vm.mapLookup(map, u32(2), value)).toBe(true);
    expect(Array.from(value)).toEqual([7, 7, 7, 7]);
    expect(vm.mapDeleteBatch(map, { keys: keys.subarray(0, 8), count: 2 })).toBe(2);
    expect(() => vm.mapDeleteBatch(map, { keys, count: 3 })).toThrow(expect.objectContaining({ errno: 2 }));
  });

  it("gives per-CPU values one 8-byte slot per CPU, and refuses what the kernel refuses", () => {
    const vm = new VmBackend({ cpus: 2 });
    const map = vm.createMap({ mapType: 6, keySize: 4, valueSize: 4, maxEntries: 2, name: "pc" });
    const values = new Uint8Array(3 * 2 * 8).fill(0xee);
    const keys = new Uint8Array(12);
    const r = vm.mapLookupBatch(map, { inBatch: null, outBatch: new Uint8Array(4), keys, values, count: 3 });
    // two entries, then the end (the kernel's ENOENT); with room for exactly two, done would come on the next call
    expect(r).toEqual({ count: 2, done: true });
    expect(Array.from(values.subarray(0, 32))).toEqual(Array(32).fill(0));
    expect(Array.from(keys.subarray(0, 8))).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    // arrays have no lookup-and-delete batch (ENOTSUPP, 524), flags must be 0 (EINVAL)
    const batch = { inBatch: null, outBatch: new Uint8Array(4), keys: new Uint8Array(8), values, count: 2 };
    expect(() => vm.mapLookupAndDeleteBatch(map, batch)).toThrow(VmError);
    expect(() => vm.mapLookupAndDeleteBatch(map, batch)).toThrow(expect.objectContaining({ errno: 524 }));
    expect(() => vm.mapLookupBatch(map, { ...batch, flags: 1 })).toThrow(expect.objectContaining({ errno: 22 }));
  });
});
