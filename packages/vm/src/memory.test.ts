// The VM's memory must not grow its WebAssembly memory for ordinary programs: a grow detaches the old ArrayBuffer,
// which makes every typed-array access in the process pay a detach check from then on.
import { describe, expect, it } from "vitest";
import { VmMemory } from "./memory.js";

describe("VmMemory", () => {
  it("keeps its first buffer while regions of several MiB are allocated", () => {
    const memory = new VmMemory();
    const first = memory.bytes.buffer;
    for (let i = 0; i < 12; i++) memory.allocate(`map ${i}`, 1 << 20, true);
    expect(memory.bytes.buffer).toBe(first);
    expect(first.byteLength).toBeGreaterThan(12 << 20); // a grown memory's old buffer would read 0 here
  });

  it("still grows past its initial size, keeping what regions hold", () => {
    const memory = new VmMemory();
    const region = memory.allocate("first", 8, true, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    memory.allocate("big", 32 << 20, true);
    expect(Array.from(memory.bytes.subarray(region.offset, region.offset + 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
