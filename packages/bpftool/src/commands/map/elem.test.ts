// Key and value words as bpftool's parse_bytes reads them, and ours: JSON with exact 64-bit integers.
import { describe, expect, it } from "vitest";
import { Args } from "../../cli/args.js";
import { parseBytes, parseJsonExact } from "./elem.js";

function bytes(words: string[], n: number): { out: number[]; left: number } {
  const args = new Args(words);
  const out = new Uint8Array(n);
  parseBytes(args, "key", out, n);
  return { out: [...out], left: args.left };
}

describe("parseBytes", () => {
  it("reads each byte in C notation, or hex after `hex`, and stops after n bytes", () => {
    expect(bytes(["1", "0x10", "010", "255"], 4)).toEqual({ out: [1, 16, 8, 255], left: 0 });
    expect(bytes(["hex", "01", "ff", "10", "7f", "value"], 4)).toEqual({ out: [1, 255, 16, 127], left: 1 });
    expect(bytes(["h", "a", "b"], 2)).toEqual({ out: [10, 11], left: 0 });
    expect(bytes(["0x101", "-1"], 2)).toEqual({ out: [1, 255], left: 0 }); // truncated to a byte
  });

  it("fails with bpftool's messages", () => {
    expect(() => bytes(["1", "2", "3"], 4)).toThrow("key expected 4 bytes got 3");
    expect(() => bytes(["1", "zz"], 2)).toThrow("error parsing byte: zz");
    expect(() => bytes(["hex", "0x"], 1)).toThrow("error parsing byte: 0x");
    expect(() => bytes(["1", "value", "2"], 4)).toThrow("error parsing byte: value");
  });
});

describe("parseJsonExact", () => {
  it("keeps integers beyond 2^53 exact and leaves strings alone", () => {
    expect(
      parseJsonExact('{"a": 18446744073709551615, "b": -9007199254740993, "c": 5, "d": "123456789012345678901"}'),
    ).toEqual({
      a: 18446744073709551615n,
      b: -9007199254740993n,
      c: 5,
      d: "123456789012345678901",
    });
    expect(parseJsonExact('["x\\"1", 1.5, 1e30]')).toEqual(['x"1', 1.5, 1e30]);
  });
});
