// strtoul(3) as glibc implements it, for the words bpftool reads numbers from.
import { describe, expect, it } from "vitest";
import { strtoul, strtoulU32 } from "./strtoul.js";

describe("strtoul", () => {
  it("detects the base from the prefix with base 0", () => {
    expect(strtoul("42")).toEqual({ value: 42n, complete: true });
    expect(strtoul("0x1f")).toEqual({ value: 31n, complete: true });
    expect(strtoul("0X1F")).toEqual({ value: 31n, complete: true });
    expect(strtoul("017")).toEqual({ value: 15n, complete: true });
    expect(strtoul("08")).toEqual({ value: 0n, complete: false }); // octal stops at 8
  });

  it("takes blanks, signs and a 0x prefix in base 16 as glibc does", () => {
    expect(strtoul(" 7")).toEqual({ value: 7n, complete: true });
    expect(strtoul("+7")).toEqual({ value: 7n, complete: true });
    expect(strtoul("-1")).toEqual({ value: (1n << 64n) - 1n, complete: true });
    expect(strtoul("ff", 16)).toEqual({ value: 255n, complete: true });
    expect(strtoul("0xff", 16)).toEqual({ value: 255n, complete: true });
    expect(strtoul("0x", 16)).toEqual({ value: 0n, complete: false }); // "0" read, "x" left over
    expect(strtoul("0x")).toEqual({ value: 0n, complete: false });
  });

  it("reads nothing from a word without digits (an empty word is 0, complete)", () => {
    expect(strtoul("")).toEqual({ value: 0n, complete: true });
    expect(strtoul("zz")).toEqual({ value: 0n, complete: false });
    expect(strtoul(" ")).toEqual({ value: 0n, complete: false });
    expect(strtoul("-")).toEqual({ value: 0n, complete: false });
  });

  it("saturates on overflow and truncates to 32 bits for ids", () => {
    expect(strtoul("99999999999999999999999").value).toBe((1n << 64n) - 1n);
    expect(strtoulU32("4294967297")).toEqual({ value: 1, complete: true });
    expect(strtoulU32("-1")).toEqual({ value: 4294967295, complete: true });
  });
});
