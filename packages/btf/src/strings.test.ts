// StringTable's byte-level comparisons give what comparing the decoded strings gives, for base and split tables.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StringTable } from "./strings.js";

const table = (...names: string[]) => new TextEncoder().encode(`\0${names.map((n) => `${n}\0`).join("")}`);

describe("StringTable comparisons", () => {
  const base = new StringTable(table("task_struct", "pid", "p"));
  const split = new StringTable(new TextEncoder().encode("pid\0tgid\0"), base);

  it("compares across a split table and its base, and suffixes of longer strings", () => {
    expect(split.sameAs(13, base, 13)).toBe(true); // "pid" in the base, seen through the split table
    expect(split.sameAs(split.firstOffset, base, 13)).toBe(true); // the split table's own "pid"
    expect(split.sameAs(split.firstOffset + 4, base, 13)).toBe(false); // "tgid"
    expect(split.sameAs(split.firstOffset + 5, base, 13)).toBe(false); // "gid", a suffix
    expect(base.sameAs(14, base, 17)).toBe(false); // "id" vs "p"
    expect(base.sameAs(1, base, 1)).toBe(true);
  });

  it("treats out-of-range offsets as no string, and offset 0 or a NUL as the empty one", () => {
    expect(split.sameAs(split.end, split, split.end)).toBe(false);
    expect(base.sameAs(-1, base, 1)).toBe(false);
    expect(base.isEmpty(0)).toBe(true);
    expect(base.isEmpty(12)).toBe(true);
    expect(base.isEmpty(1)).toBe(false);
    expect(base.isEmpty(base.end)).toBe(true);
    expect(split.isEmpty(split.firstOffset + 3)).toBe(true);
  });

  it("agrees with the decoded strings on every pair of offsets", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-c_]{0,4}$/), { maxLength: 8 }), (names) => {
        const t = new StringTable(table(...names));
        for (let a = -1; a <= t.end; a++) {
          expect(t.isEmpty(a)).toBe((t.at(a) ?? "") === "");
          for (let b = -1; b <= t.end; b++) {
            const x = t.at(a);
            const y = t.at(b);
            expect(t.sameAs(a, t, b)).toBe(x !== undefined && y !== undefined && x === y);
          }
        }
      }),
    );
  });
});
