// Unit tests of the bpftool naming rules (xlated_dumper.c print_call / print_imm / dump_xlated_plain) without a
// kernel; xlated-oracle.test.ts checks the same code against bpftool on loaded programs.
import { describe, expect, it } from "vitest";
import { bpftoolJsonOpcodes, bpftoolXlatedSymbolizer, parseKallsyms } from "./bpftool-xlated.js";
import { encodeInstructions } from "./codec.js";
import { formatInstruction } from "./disasm.js";
import {
  call,
  callKfunc,
  callSubprog,
  exit,
  ldFunc,
  ldImm64,
  ldMapFd,
  ldMapIdxValue,
  ldMapValue,
  mov64Imm,
} from "./dsl.js";
import { R0, R1, R2 } from "./instruction.js";
import { disassemble, disassembleJson, formatIndex } from "./listing.js";

const KALLSYMS = [
  "ffffffff81000000 T _stext",
  "ffffffff81200000 T __bpf_call_base",
  "ffffffff81200100 T __htab_map_lookup_elem",
  "ffffffff81200100 t alias_at_same_address",
  "ffffffffc0001000 t bpf_prog_0123456789abcdef_sub\t[bpf]",
  "0000000000000000 A fixed_percpu_data",
  "garbage line",
].join("\n");

describe("parseKallsyms", () => {
  it("keeps named symbols with non-zero addresses and drops module suffixes", () => {
    const syms = parseKallsyms(KALLSYMS);
    expect(syms.map((s) => s.name)).toEqual([
      "_stext",
      "__bpf_call_base",
      "__htab_map_lookup_elem",
      "alias_at_same_address",
      "bpf_prog_0123456789abcdef_sub",
    ]);
    expect(syms[4]!.address).toBe(0xffffffffc0001000n);
  });

  it("returns nothing when kptr_restrict zeroes __bpf_call_base, as bpftool does", () => {
    expect(parseKallsyms("0000000000000000 T _stext\n0000000000000000 T __bpf_call_base\n")).toEqual([]);
  });
});

describe("bpftoolXlatedSymbolizer", () => {
  const kallsyms = parseKallsyms(KALLSYMS);
  const jited = bpftoolXlatedSymbolizer({ kallsyms, jitedKsyms: [0xffffffffc0000000n, 0xffffffffc0001000n] });
  const fmt = (i: Parameters<typeof formatInstruction>[0], symbolizer = jited) =>
    formatInstruction(i, { symbolizer, dialect: "v6.1" });

  it("names rewritten helper calls by __bpf_call_base + imm", () => {
    expect(fmt(call(0x100 + 0x10000))).toBe("(85) call 0xffffffff81210100#65792");
    expect(fmt(call(0x100))).toBe("(85) call __htab_map_lookup_elem#256");
    // An imm that happens to be a helper id is named from the helper table first (live: `call bpf_tail_call#12`).
    expect(fmt(call(12))).toBe("(85) call bpf_tail_call#12");
    expect(fmt(call(-0x200000))).toBe("(85) call _stext#-2097152");
    expect(fmt({ ...call(0), imm: 0x1000100 })).toBe("(85) call 0xffffffff82200100#16777472");
  });

  it("prefers the first name listed at an address", () => {
    expect(fmt({ ...callKfunc(0), imm: 0x100 })).toBe("(85) call __htab_map_lookup_elem#256");
  });

  it("names bpf-to-bpf calls by the callee's jited symbol and keeps the relative offset from off", () => {
    expect(fmt({ ...callSubprog(1), off: 34 })).toBe("(85) call pc+34#bpf_prog_0123456789abcdef_sub");
    expect(fmt({ ...callSubprog(0), off: -3 })).toBe("(85) call pc-3#0xffffffffc0000000");
    const interpreted = bpftoolXlatedSymbolizer({ kallsyms });
    expect(fmt({ ...callSubprog(1), off: 5 }, interpreted)).toBe("(85) call pc+5");
  });

  it("prints map references by id, map values with offsets, and subprogram addresses", () => {
    expect(fmt(ldMapFd(R1, 54))).toBe("(18) r1 = map[id:54]");
    expect(fmt(ldMapValue(R2, 57, 24))).toBe("(18) r2 = map[id:57][0]+24");
    expect(fmt(ldMapIdxValue(R1, 2, 8))).toBe("(18) r1 = map[idx:2]+8");
    expect(fmt(ldFunc(R2, 23))).toBe("(18) r2 = subprog[+23]");
    expect(fmt(ldImm64(R0, 0xffffffff814d38f0n))).toBe("(18) r0 = 0xffffffff814d38f0");
  });
});

describe("listings", () => {
  it('number slots like printf("% 4d: ")', () => {
    expect(formatIndex(0)).toBe("   0");
    expect(formatIndex(37)).toBe("  37");
    expect(formatIndex(999)).toBe(" 999");
    expect(formatIndex(1000)).toBe(" 1000");
    expect(formatIndex(12345)).toBe(" 12345");
  });

  it("give ld_imm64 two slots and print opcode bytes like bpftool", () => {
    const insns = [ldMapFd(R1, 54), mov64Imm(R0, 2), exit()];
    expect(disassemble(insns)).toEqual(["   0: (18) r1 = 0x36", "   2: (b7) r0 = 2", "   3: (95) exit"]);
    expect(disassemble(insns.slice(0, 2), { opcodes: true })).toEqual([
      "   0: (18) r1 = 0x36",
      "       18 11 00 00 36 00 00 00 00 00 00 00 00 00 00 00",
      "   2: (b7) r0 = 2",
      "       b7 00 00 00 02 00 00 00",
    ]);
  });

  it("give JSON opcodes with 12 imm bytes for ld_imm64", () => {
    const [ld, st] = disassembleJson([ldMapValue(R2, 57, 8), { ...mov64Imm(R1, -4), off: -24 }], { opcodes: true });
    expect(ld!.opcodes).toEqual({
      code: "0x18",
      src_reg: "0x2",
      dst_reg: "0x2",
      off: ["0x00", "0x00"],
      imm: ["0x39", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x08", "0x00", "0x00", "0x00"],
    });
    expect(st).toEqual({
      disasm: "(b7) r1 = -4",
      opcodes: {
        code: "0xb7",
        src_reg: "0x0",
        dst_reg: "0x1",
        off: ["0xe8", "0xff"],
        imm: ["0xfc", "0xff", "0xff", "0xff"],
      },
    });
    expect(bpftoolJsonOpcodes(encodeInstructions([exit()], "little")).code).toBe("0x95");
  });
});
