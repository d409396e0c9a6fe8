// USDT argument strings as the x86-64 assembler writes them into probe notes, read into usdt.bpf.h's argument specs
// (the kernel test compares whole specs with libbpf's; these are the forms and the refusals one by one).
import { describe, expect, it } from "vitest";
import { AttachError } from "./errors.js";
import { encodeUsdtSpec, parseUsdtArgs, USDT_SPEC_SIZE, UsdtArgType } from "./usdt.js";

const U64 = 1n << 64n;

describe("parseUsdtArgs", () => {
  it("reads register, memory, register-indirect and constant arguments with their size and signedness", () => {
    const args = parseUsdtArgs("-4@-36(%rbp) 8@%rdx -1@%sil 2@(%rsp) -4@$-9 8@$4096 -2@%r11w 4@16(%r12)");
    expect(args).toEqual([
      { type: UsdtArgType.REG_DEREF, valOff: U64 - 36n, regOff: 32, signed: true, bitshift: 32 },
      { type: UsdtArgType.REG, valOff: 0n, regOff: 96, signed: false, bitshift: 0 },
      { type: UsdtArgType.REG, valOff: 0n, regOff: 104, signed: true, bitshift: 56 },
      { type: UsdtArgType.REG_DEREF, valOff: 0n, regOff: 152, signed: false, bitshift: 48 },
      { type: UsdtArgType.CONST, valOff: U64 - 9n, regOff: 0, signed: true, bitshift: 32 },
      { type: UsdtArgType.CONST, valOff: 4096n, regOff: 0, signed: false, bitshift: 0 },
      { type: UsdtArgType.REG, valOff: 0n, regOff: 48, signed: true, bitshift: 48 },
      { type: UsdtArgType.REG_DEREF, valOff: 16n, regOff: 24, signed: false, bitshift: 32 },
    ]);
    expect(parseUsdtArgs("")).toEqual([]);
    expect(parseUsdtArgs("  8 @ %rax ")).toHaveLength(1);
  });

  it.each([
    ["8@%xmm0", /unknown register %xmm0/],
    ["3@%eax", /size 3 is not 1, 2, 4 or 8/],
    ["8@counter(%rip)", /'8@counter\(%rip\)' .*unrecognized/],
    ["8@-8(%rbp,%rax,8)", /unknown register %rbp,%rax,8/],
    [Array(13).fill("8@%rax").join(" "), /more than 12/],
  ])("refuses %s", (text, message) => {
    expect(() => parseUsdtArgs(text)).toThrow(AttachError);
    expect(() => parseUsdtArgs(text)).toThrow(message);
  });
});

describe("encodeUsdtSpec", () => {
  it("lays struct __bpf_usdt_spec out as usdt.bpf.h declares it", () => {
    const bytes = encodeUsdtSpec(parseUsdtArgs("-4@-36(%rbp) 1@$7"), -2n);
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(USDT_SPEC_SIZE);
    // args[0]: val_off, arg_type, reg_off, arg_signed, arg_bitshift
    expect([view.getBigUint64(0, true), view.getUint32(8, true), view.getInt16(12, true)]).toEqual([U64 - 36n, 2, 32]);
    expect([view.getUint8(14), view.getInt8(15)]).toEqual([1, 32]);
    expect([view.getBigUint64(16, true), view.getUint32(24, true), view.getInt8(31)]).toEqual([7n, 0, 56]);
    // usdt_cookie, arg_cnt
    expect([view.getBigUint64(192, true), view.getInt16(200, true)]).toEqual([U64 - 2n, 2]);
  });
});
