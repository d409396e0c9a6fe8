import { describe, expect, it } from "vitest";
import { LibbpfMultiMap } from "./libbpf-hashmap.js";

describe("LibbpfMultiMap", () => {
  it("keeps every value of a key apart from the other keys'", () => {
    const map = new LibbpfMultiMap();
    const expected = new Map<number, number[]>();
    for (let v = 1; v <= 200; v++) {
      const key = 1000 + (v % 7);
      map.append(key, v);
      expected.set(key, [...(expected.get(key) ?? []), v]);
    }
    for (const [key, values] of expected) expect(map.values(key).sort((a, b) => a - b)).toEqual(values);
    expect(map.values(5)).toEqual([]);
    expect(new LibbpfMultiMap().values(1)).toEqual([]);
  });

  it("lists a bucket's chain newest first, reversed by each resize as libbpf's rehash does", () => {
    // One key: 1 entry fits the first 4 buckets, the 4th append grows to 8 (reversing the 3 so far), the 7th to 16.
    const map = new LibbpfMultiMap();
    for (let v = 1; v <= 3; v++) map.append(7, v);
    expect(map.values(7)).toEqual([3, 2, 1]);
    map.append(7, 4);
    expect(map.values(7)).toEqual([4, 1, 2, 3]);
  });
});
