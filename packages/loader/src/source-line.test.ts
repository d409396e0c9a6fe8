// Which C line an instruction comes from, and how errors print it.
import { describe, expect, it } from "vitest";
import { formatSourceLine, sourceLineFor } from "./source-line.js";

describe("source lines", () => {
  it("maps an instruction to the line_info entry that covers it", () => {
    const lines = [
      { insnIndex: 0, line: 1, column: 0 },
      { insnIndex: 4, line: 9, column: 0 },
      { insnIndex: 2, line: 5, column: 0 },
    ];
    expect(sourceLineFor(lines, 3)?.line).toBe(5);
    expect(sourceLineFor(lines, 4)?.line).toBe(9);
    expect(sourceLineFor(lines, 0)?.line).toBe(1);
    expect(sourceLineFor(undefined, 3)).toBeUndefined();
    expect(sourceLineFor(lines, undefined)).toBeUndefined();
  });

  it("prints file:line:column and the text", () => {
    expect(formatSourceLine({ insnIndex: 0, file: "./a.c", line: 3, column: 7, text: "  x = 1; " })).toBe(
      "./a.c:3:7: x = 1;",
    );
    expect(formatSourceLine({ insnIndex: 0, line: 3, column: 0 })).toBe("?:3");
  });
});
