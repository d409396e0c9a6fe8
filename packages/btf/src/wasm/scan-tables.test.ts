// scan.c packs the record layout of each kind into integer constants (it has no data segments). They must say what
// the one table, KIND_LAYOUTS, says: this reads them from the C source and compares, kind by kind.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { KIND_LAYOUTS, MAX_KIND } from "../kinds.js";

/** kind -> value of a `#define NAME (F2(k, v) | ...)` table; kinds not listed are 0. */
function packed(source: string, name: string): number[] {
  const body = new RegExp(`#define ${name} \\\\?\\s*\\(([^#]*?)\\)\\n`).exec(source)?.[1];
  if (body === undefined) throw new Error(`no #define ${name} in scan.c`);
  const values = new Array<number>(MAX_KIND + 1).fill(0);
  for (const [, kind, value] of body.matchAll(/F2\((\d+), (\d+)\)/g)) values[Number(kind)] = Number(value);
  return values;
}

/** kind -> 1 when BIT(kind) is in a `#define NAME (BIT(a) | BIT(b) ...)` set. */
function bits(source: string, name: string): number[] {
  const body = new RegExp(`#define ${name} \\(([^\\n]*)\\)\\n`).exec(source)?.[1];
  if (body === undefined) throw new Error(`no #define ${name} in scan.c`);
  const values = new Array<number>(MAX_KIND + 1).fill(0);
  for (const [, kind] of body.matchAll(/BIT\((\d+)\)/g)) values[Number(kind)] = 1;
  return values;
}

it("scan.c's packed kind tables agree with KIND_LAYOUTS", () => {
  const source = readFileSync(new URL("./scan.c", import.meta.url), "utf8");
  const expected = (f: (kind: number) => number) => Array.from({ length: MAX_KIND + 1 }, (_, kind) => f(kind));
  const layout = (kind: number) => KIND_LAYOUTS[kind];
  expect(packed(source, "FIXED_WORDS")).toEqual(expected((k) => layout(k)?.fixedWords ?? 0));
  expect(packed(source, "RECORD_WORDS")).toEqual(expected((k) => layout(k)?.recordWords ?? 0));
  expect(packed(source, "RECORD_SHAPE")).toEqual(
    expected((k) => {
      const l = layout(k);
      if (!l || l.recordWords === 0) return 0;
      if (l.recordName === 0) return l.recordType === 1 ? 1 : 2;
      return l.recordType === 0 ? 3 : 0;
    }),
  );
  expect(packed(source, "HEADER_REF")).toEqual(
    expected((k) => (layout(k)?.third === "type" ? (layout(k)?.chainLink === 2 ? 2 : 1) : 0)),
  );
  expect(packed(source, "LINK_WORD")).toEqual(expected((k) => layout(k)?.chainLink ?? 0));
  expect(bits(source, "KIND_FLAG_OK")).toEqual(expected((k) => (layout(k)?.kindFlag ? 1 : 0)));
  const known = /#define KNOWN_KINDS (0x[0-9a-f]+)u/.exec(source)?.[1];
  expect(Number(known)).toBe(expected((k) => (layout(k) ? 1 << k : 0)).reduce((a, b) => a | b, 0));
});
