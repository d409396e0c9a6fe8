import fc from "fast-check";
import { expect, it } from "vitest";
import { buildStringTable } from "./string-table-builder.js";

const decoder = new TextDecoder();
function stringAt(bytes: Uint8Array, offset: number): string {
  return decoder.decode(bytes.subarray(offset, bytes.indexOf(0, offset)));
}

it("tail-merges suffixes and keeps offset 0 for the empty string", () => {
  const { bytes, offsets } = buildStringTable([".relxdp", "xdp", "", "dp", ".text", ".rel.text", "xdp"]);
  expect(offsets.get("")).toBe(0);
  expect(bytes[0]).toBe(0);
  // ".relxdp" holds "xdp" and "dp"; ".rel.text" holds ".text".
  expect(bytes.length).toBe(1 + ".relxdp".length + 1 + ".rel.text".length + 1);
  for (const s of [".relxdp", "xdp", "dp", ".text", ".rel.text"]) expect(stringAt(bytes, offsets.get(s)!)).toBe(s);
});

it("every string reads back from its offset (any Unicode, property)", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 40 }), (strings) => {
      const clean = strings.map((s) => s.replaceAll("\0", ""));
      const { bytes, offsets } = buildStringTable(clean);
      for (const s of clean) expect(stringAt(bytes, offsets.get(s)!)).toBe(s);
      expect(bytes.length).toBeLessThanOrEqual(
        1 + clean.reduce((n, s) => n + new TextEncoder().encode(s).length + 1, 0),
      );
    }),
    { seed: 7, numRuns: 500 },
  );
});
