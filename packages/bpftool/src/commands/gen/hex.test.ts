import { describe, expect, it } from "vitest";
import { hexLiteral } from "./hex.js";

describe("hexLiteral", () => {
  it("writes \\0 and \\xNN, breaking lines before they pass 78 columns", () => {
    expect(hexLiteral(Uint8Array.of(0, 1, 0xff))).toBe("\\0\\x01\\xff");
    // 19 non-zero bytes are 76 columns; the 20th would make 80, so a backslash-newline comes first.
    const line = hexLiteral(new Uint8Array(20).fill(0xab));
    expect(line).toBe(`${"\\xab".repeat(19)}\\\n\\xab`);
    // Zero bytes are 2 columns: 39 fit, the 40th breaks.
    expect(hexLiteral(new Uint8Array(40))).toBe(`${"\\0".repeat(39)}\\\n\\0`);
  });
});
