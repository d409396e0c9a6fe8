import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeWith, usePinRoot, useTempDir } from "../../../test/support/env.js";
import { loadFixture, readelfBytes } from "../test-support/fixtures.js";
import {
  R_BPF_64_32,
  R_BPF_64_ABS64,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_STRTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FILE,
  STT_FUNC,
  STT_OBJECT,
  STT_SECTION,
} from "./constants.js";
import { parseElf } from "./elf-file.js";
import { ElfError } from "./errors.js";
import type { Endianness } from "./types.js";
import { elfToWriteModel } from "./write/from-file.js";
import type { ElfWriteDataSection, ElfWriteModel, ElfWriteSymbol } from "./write/model.js";
import { writeElf } from "./write/write-elf.js";

/** One BPF instruction (no 64-bit immediates here). The register byte's nibbles swap with the byte order. */
function insn(endianness: Endianness, opcode: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  const le = endianness === "little";
  out[0] = opcode;
  out[1] = le ? (src << 4) | dst : (dst << 4) | src;
  view.setInt16(2, off, le);
  view.setInt32(4, imm, le);
  return out;
}
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * An XDP program `prog` in section "xdp" that calls a static subprogram `helper` in .text (returning XDP_PASS),
 * built from scratch, with the model listing a global before the locals on purpose.
 */
function tinyProgram(endianness: Endianness = "little") {
  const text: ElfWriteDataSection = {
    kind: "data",
    name: ".text",
    type: SHT_PROGBITS,
    flags: SHF_ALLOC | SHF_EXECINSTR,
    addralign: 8,
    data: concat(insn(endianness, 0xb7, 0, 0, 0, 2), insn(endianness, 0x95, 0, 0, 0, 0)), // r0 = 2; exit
  };
  const xdp: ElfWriteDataSection = {
    kind: "data",
    name: "xdp",
    type: SHT_PROGBITS,
    flags: SHF_ALLOC | SHF_EXECINSTR,
    addralign: 8,
    data: concat(insn(endianness, 0x85, 0, 1, 0, -1), insn(endianness, 0x95, 0, 0, 0, 0)), // call helper; exit
  };
  const license: ElfWriteDataSection = {
    kind: "data",
    name: "license",
    type: SHT_PROGBITS,
    flags: SHF_ALLOC | SHF_WRITE,
    addralign: 1,
    data: new TextEncoder().encode("GPL\0"),
  };
  const prog: ElfWriteSymbol = { name: "prog", type: STT_FUNC, binding: STB_GLOBAL, section: xdp, size: 16 };
  const textSymbol: ElfWriteSymbol = { name: "", type: STT_SECTION, section: text };
  const helper: ElfWriteSymbol = { name: "helper", type: STT_FUNC, binding: STB_LOCAL, section: text, size: 16 };
  const licenseSymbol: ElfWriteSymbol = {
    name: "LICENSE",
    type: STT_OBJECT,
    binding: STB_GLOBAL,
    section: license,
    size: 4,
  };
  const file: ElfWriteSymbol = { name: "tiny.c", type: STT_FILE, section: SHN_ABS };
  const model: ElfWriteModel = {
    endianness,
    sections: [
      text,
      xdp,
      { kind: "relocations", target: xdp, relocations: [{ offset: 0, type: R_BPF_64_32, symbol: textSymbol }] },
      license,
    ],
    symbols: [prog, file, textSymbol, helper, licenseSymbol],
  };
  return { model, text, xdp, license };
}

describe("writeElf from scratch", () => {
  it.each(["little", "big"] as const)("writes a tiny program object (%s-endian) that parses back", (endianness) => {
    const { model } = tinyProgram(endianness);
    const file = parseElf(writeElf(model));
    expect(file.endianness).toBe(endianness);
    expect(file.sections.map((s) => s.name)).toEqual(["", ".text", "xdp", ".relxdp", "license", ".symtab", ".strtab"]);
    // Locals first (model order kept within each group); sh_info = first non-local.
    expect(file.symbols.map((s) => s.name)).toEqual(["", "tiny.c", "", "helper", "prog", "LICENSE"]);
    expect(file.symtab!.firstNonLocal).toBe(4);
    expect(file.symtab!.section.info).toBe(4);
    expect(file.symbols[1]!.shndx).toBe(SHN_ABS);
    expect(file.symbols[1]!.section).toBeUndefined();
    const [relocations] = file.relocationSections;
    expect(relocations!.target.name).toBe("xdp");
    expect(relocations!.relocations.map((r) => [r.offset, r.type, r.symbol.type, r.symbol.section?.name])).toEqual([
      [0, R_BPF_64_32, STT_SECTION, ".text"],
    ]);
    expect(Buffer.from(file.sectionByName("license")!.data).toString()).toBe("GPL\0");
    expect(file.header.shstrndx).toBe(file.sectionByName(".strtab")!.index);
    // Alignment is honoured in the file layout.
    for (const s of file.sections) if (s.addralign > 1) expect(s.offset % s.addralign).toBe(0);
  });

  it("puts section names in a separate .shstrtab when the model has one", () => {
    const { model } = tinyProgram();
    model.sections.push({ kind: "shstrtab" });
    const file = parseElf(writeElf(model));
    expect(file.sections.map((s) => s.name).slice(-3)).toEqual([".shstrtab", ".symtab", ".strtab"]);
    expect(file.sections[file.header.shstrndx]!.name).toBe(".shstrtab");
    expect(file.sectionsByType(SHT_STRTAB)).toHaveLength(2);
    const strtab = file.sectionByName(".strtab")!;
    expect(Buffer.from(strtab.data).toString()).not.toContain(".relxdp");
  });

  it("writes RELA sections with signed addends", () => {
    const data: ElfWriteDataSection = { kind: "data", name: ".data", type: SHT_PROGBITS, data: new Uint8Array(32) };
    const target: ElfWriteSymbol = { name: "target", type: STT_OBJECT, binding: STB_GLOBAL, section: data };
    const model: ElfWriteModel = {
      endianness: "big",
      sections: [
        data,
        {
          kind: "relocations",
          target: data,
          rela: true,
          relocations: [
            { offset: 8, type: R_BPF_64_ABS64, symbol: target, addend: -16 },
            { offset: 16, type: R_BPF_64_ABS64, symbol: target, addend: 2 ** 40 },
            { offset: 24, type: 0, addend: 0 },
          ],
        },
      ],
      symbols: [target],
    };
    const file = parseElf(writeElf(model));
    const [rela] = file.relocationSections;
    expect(rela!.section.name).toBe(".rela.data");
    expect(rela!.rela).toBe(true);
    expect(rela!.relocations.map((r) => [r.offset, r.symbol.name, r.addend, r.symbolIndex])).toEqual([
      [8, "target", -16, 1],
      [16, "target", 2 ** 40, 1],
      [24, "", 0, 0],
    ]);
  });

  it("keeps NOBITS sizes without file bytes", () => {
    const bss: ElfWriteDataSection = {
      kind: "data",
      name: ".bss",
      type: SHT_NOBITS,
      flags: 3,
      size: 4096,
      addralign: 8,
    };
    const bytes = writeElf({ sections: [bss], symbols: [] });
    expect(bytes.length).toBeLessThan(512);
    const file = parseElf(bytes);
    expect(file.sectionByName(".bss")).toMatchObject({ size: 4096, type: SHT_NOBITS });
    expect(file.sectionByName(".bss")!.data.length).toBe(0);
    expect(file.symbolTables).toHaveLength(0);
  });

  it("uses extended section numbering past 0xff00 sections (SHN_XINDEX, SHT_SYMTAB_SHNDX)", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const sections: ElfWriteDataSection[] = Array.from({ length: 0xff10 }, (_, i) => ({
      kind: "data",
      name: `s${i}`,
      type: SHT_PROGBITS,
      data: bytes.subarray(i & 0xff, (i & 0xff) + 1),
    }));
    const last = sections[sections.length - 1]!;
    const low: ElfWriteSymbol = { name: "low", type: STT_OBJECT, binding: STB_GLOBAL, section: sections[5]!, size: 1 };
    const high: ElfWriteSymbol = { name: "high", type: STT_OBJECT, binding: STB_GLOBAL, section: last, size: 1 };
    const written = writeElf({ sections: [...sections, { kind: "shstrtab" }], symbols: [low, high] });
    const view = new DataView(written.buffer);
    expect(view.getUint16(0x3c, true)).toBe(0); // e_shnum
    expect(view.getUint16(0x3e, true)).toBe(0xffff); // e_shstrndx = SHN_XINDEX
    const file = parseElf(written);
    expect(file.header.shnum).toBe(0xff10 + 5);
    expect(file.sectionByName(`s${0x1234}`)!.data[0]).toBe(0x34); // null + sections + .shstrtab + .symtab + .strtab + .symtab_shndx
    expect(file.sections[file.header.shstrndx]!.name).toBe(".shstrtab");
    expect(file.sections.at(-1)!.name).toBe(".symtab_shndx");
    const symbol = file.symbols.find((s) => s.name === "high")!;
    expect(symbol.shndx).toBe(0xff10);
    expect(symbol.section).toBe(file.sectionByName(last.name));
    expect(file.symbols.find((s) => s.name === "low")!.section!.name).toBe("s5");
    // And it round-trips.
    const again = parseElf(writeElf(elfToWriteModel(file)));
    expect(again.symbols.map((s) => [s.name, s.shndx])).toEqual(file.symbols.map((s) => [s.name, s.shndx]));
  });
});

describe("writeElf rejects inconsistent models with ElfError", () => {
  const expectBadModel = (model: ElfWriteModel, code: "BAD_MODEL" | "UNSUPPORTED" = "BAD_MODEL") => {
    try {
      writeElf(model);
    } catch (err) {
      expect(err).toBeInstanceOf(ElfError);
      expect((err as ElfError).code).toBe(code);
      return (err as ElfError).message;
    }
    throw new Error("writeElf accepted the model");
  };
  it("a reference to a section not in the list", () => {
    const { model, text } = tinyProgram();
    model.sections = model.sections.filter((s) => s !== text);
    expect(expectBadModel(model)).toMatch(/\.text.*not in the section list/);
  });
  it("a relocation symbol not in the symbol list", () => {
    const { model } = tinyProgram();
    model.symbols = model.symbols.filter((s) => s.type !== STT_SECTION);
    expect(expectBadModel(model)).toMatch(/not in the symbol list/);
  });
  it("bad sizes, alignments, addends and duplicates", () => {
    expectBadModel({
      sections: [{ kind: "data", name: ".bss", type: SHT_NOBITS, data: new Uint8Array(4) }],
      symbols: [],
    });
    expectBadModel({ sections: [{ kind: "data", name: "a", type: 1, data: new Uint8Array(4), size: 8 }], symbols: [] });
    expectBadModel({ sections: [{ kind: "data", name: "a", type: 1, addralign: 3 }], symbols: [] });
    expectBadModel({ sections: [{ kind: "data", name: "a", type: 1, flags: -1 }], symbols: [] });
    const { model, xdp } = tinyProgram();
    model.sections.push({ kind: "relocations", target: xdp, relocations: [{ offset: 0, type: 1, addend: 4 }] });
    expect(expectBadModel(model)).toMatch(/RELA/);
    const again = tinyProgram();
    again.model.sections.push(again.text);
    expect(expectBadModel(again.model)).toMatch(/twice/);
    expectBadModel({ sections: [{ kind: "symtab" }, { kind: "symtab" }], symbols: [] }, "UNSUPPORTED");
  });
});

describeWith(["llvm-readelf"], "llvm tools read what writeElf writes", () => {
  const work = useTempDir("bpfkit-elf-");

  it("llvm-readelf and llvm-objdump see the tiny program", () => {
    const bytes = writeElf(tinyProgram().model);
    const view = readelfBytes(bytes);
    expect(view.sections.map((s) => [s.Name.Name, s.Type.Name, s.Size])).toEqual([
      ["", "SHT_NULL", 0],
      [".text", "SHT_PROGBITS", 16],
      ["xdp", "SHT_PROGBITS", 16],
      [".relxdp", "SHT_REL", 16],
      ["license", "SHT_PROGBITS", 4],
      [".symtab", "SHT_SYMTAB", 6 * 24],
      [".strtab", "SHT_STRTAB", expect.any(Number)],
    ]);
    expect(view.symbols.map((s) => [s.Name.Name, s.Binding.Name, s.Type.Name, s.Section.Name])).toEqual([
      ["", "Local", "None", "Undefined"],
      ["tiny.c", "Local", "File", "Absolute"],
      [".text", "Local", "Section", ".text"],
      ["helper", "Local", "Function", ".text"],
      ["prog", "Global", "Function", "xdp"],
      ["LICENSE", "Global", "Object", "license"],
    ]);
    // llvm-objdump-19 comes with llvm-readelf-19 (llvm-19).
    const object = join(work(), "tiny.o");
    writeFileSync(object, bytes);
    const listing = execFileSync("llvm-objdump-19", ["-d", "-r", object], { encoding: "utf8" });
    expect(listing).toMatch(
      /<prog>:\s+0:\s+85 10 00 00 ff ff ff ff\s+call -0x1\s+0000000000000000:\s+R_BPF_64_32\s+\.text/,
    );
    expect(listing).toMatch(/<helper>:\s+0:\s+b7 00 00 00 02 00 00 00\s+r0 = 0x2/);
  });

  it("agrees on extended numbering", () => {
    const sections: ElfWriteDataSection[] = Array.from({ length: 0xff02 }, (_, i) => ({
      kind: "data",
      name: `s${i}`,
      type: SHT_PROGBITS,
    }));
    const symbol: ElfWriteSymbol = { name: "high", type: STT_OBJECT, binding: STB_GLOBAL, section: sections.at(-1)! };
    const view = readelfBytes(writeElf({ sections, symbols: [symbol] }));
    expect(view.sections).toHaveLength(0xff02 + 4);
    expect(view.symbols.at(-1)!.Section).toMatchObject({ Name: "s65281", Value: 0xff02 });
  });
});

// The strongest check of the writer: libbpf (through bpftool) loads what we wrote and the kernel runs it.
describeWith(["bpftool", "root", "bpffs"], "bpftool loads objects written by writeElf", () => {
  const work = useTempDir("bpfkit-elf-load-");
  const pinRoot = usePinRoot();

  it("the tiny program loads and returns XDP_PASS", () => {
    const pinDir = pinRoot();
    const object = join(work(), "tiny.o");
    writeFileSync(object, writeElf(tinyProgram().model));
    execFileSync("bpftool", ["prog", "load", object, `${pinDir}/tiny`, "type", "xdp"], { stdio: "pipe" });
    const packet = join(work(), "packet.bin");
    writeFileSync(packet, new Uint8Array(64));
    const run = JSON.parse(
      execFileSync("bpftool", ["-j", "prog", "run", "pinned", `${pinDir}/tiny`, "data_in", packet, "repeat", "1"], {
        encoding: "utf8",
      }),
    );
    expect(run.retval).toBe(2);
  });

  it("xdp_parse.bpf.o with its debug sections stripped through the write model still loads", () => {
    const file = parseElf(loadFixture("xdp_parse.bpf.o"));
    const model = elfToWriteModel(file);
    const dropped = new Set(
      model.sections.filter(
        (s) =>
          (s.kind === "data" && (s.name.startsWith(".debug_") || s.name === ".llvm_addrsig")) ||
          (s.kind === "relocations" && s.target.kind === "data" && s.target.name.startsWith(".debug_")),
      ),
    );
    model.sections = model.sections.filter((s) => !dropped.has(s));
    model.symbols = model.symbols.filter((s) => typeof s.section !== "object" || !dropped.has(s.section));
    const stripped = writeElf(model);
    expect(stripped.length).toBeLessThan(file.bytes.length / 2);
    expect(parseElf(stripped).sections.some((s) => s.name.startsWith(".debug"))).toBe(false);
    const object = join(work(), "xdp_parse.o");
    writeFileSync(object, stripped);
    const pinDir = pinRoot();
    execFileSync("bpftool", ["prog", "loadall", object, `${pinDir}/xdp_parse`], { stdio: "pipe" });
    const shown = JSON.parse(
      execFileSync("bpftool", ["-j", "prog", "show", "pinned", `${pinDir}/xdp_parse/xdp_parse`], { encoding: "utf8" }),
    );
    expect(shown.name).toBe("xdp_parse");
    expect(shown.type).toBe("xdp");
  });
});
