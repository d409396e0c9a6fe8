// The plain fallbacks of host.ts give what Node's Buffer gives (they are what a browser runs).
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Bytes, byteSearch } from "./host.js";

describe("host fallbacks", () => {
  it("decode base64 as Buffer does, with and without padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(base64Bytes(text, false)).toEqual(new Uint8Array(bytes));
        expect(base64Bytes(text.replace(/=+$/, ""), false)).toEqual(new Uint8Array(bytes));
        expect(Uint8Array.from(base64Bytes(text, true))).toEqual(new Uint8Array(bytes));
      }),
    );
  });

  it("find every occurrence of a byte string as Buffer.indexOf does", () => {
    const small = fc.uint8Array({ maxLength: 4 }).map((a) => a.map((b) => b & 3));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), small, fc.nat(310), (raw, needle, from) => {
        // Few distinct byte values, so needles occur often and overlap.
        const haystack = raw.map((b) => b & 3);
        const plain = byteSearch(haystack, false);
        const native = byteSearch(haystack, true);
        expect(plain(needle, from)).toBe(Buffer.from(haystack).indexOf(needle, from));
        expect(native(needle, from)).toBe(plain(needle, from));
      }),
    );
  });

  it("searches a view at its own offsets, not its buffer's", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 1, 2]);
    const view = backing.subarray(2);
    expect(byteSearch(view, false)(new Uint8Array([1, 2]), 1)).toBe(3);
    expect(byteSearch(view, true)(new Uint8Array([1, 2]), 1)).toBe(3);
  });
});
