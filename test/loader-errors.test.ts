// Malformed objects: each inconsistency is a LoaderError with the right code and context (section, symbol,
// instruction), a malformed .BTF a BtfError (type id, byte offset), made by patching real clang objects; and seeded
// byte mutations of every fixture never produce anything but a spec, a LoaderError or a BtfError.
import { BtfError } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { LoaderError, openObject } from "../packages/loader/src/object/index.js";
import { FIXTURES, fixtureBytes } from "./loader-support.js";
import { openMutated, seededRandom } from "./support/mutate.js";

/** What opening a malformed object may throw: a LoaderError, or @bpfkit/btf's BtfError for a malformed .BTF. */
abstract class OpenError extends Error {
  static override [Symbol.hasInstance](error: unknown): boolean {
    return error instanceof LoaderError || error instanceof BtfError;
  }
}

function errorOf(bytes: Uint8Array, options = {}): LoaderError {
  return thrownBy(bytes, LoaderError, options);
}

/** What openObject throws for `bytes`, checked to be an instance of `type`. */
function thrownBy<T>(bytes: Uint8Array, type: new (...args: never[]) => T, options = {}): T {
  try {
    openObject(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error("expected openObject to fail");
}

/** A copy of a fixture with helpers to patch its headers, symbols and relocations in place. */
function patchable(name: string) {
  const bytes = new Uint8Array(fixtureBytes(name));
  const elf = parseElf(bytes);
  const view = new DataView(bytes.buffer);
  const shdr = (sectionName: string) => {
    const s = elf.sections.find((x) => x.name === sectionName);
    if (!s) throw new Error(`no section ${sectionName}`);
    return elf.header.shoff + s.index * elf.header.shentsize;
  };
  const symtab = elf.symtab!;
  const sym = (symbolName: string) => {
    const s = symtab.symbols.find((x) => x.name === symbolName);
    if (!s) throw new Error(`no symbol ${symbolName}`);
    return symtab.section.offset + s.index * 24;
  };
  const rel = (sectionName: string, index: number) =>
    elf.sections.find((x) => x.name === sectionName)!.offset + index * 16;
  const renameSection = (from: string, to: string) => {
    const s = elf.sections.find((x) => x.name === from)!;
    const strtab = elf.sections[elf.header.shstrndx]!;
    const at = strtab.offset + s.nameOffset;
    bytes.set(new TextEncoder().encode(to), at);
  };
  return { bytes, view, elf, shdr, sym, rel, renameSection };
}

describe("typed errors for malformed objects", () => {
  it("not an ELF file", () => {
    const e = errorOf(new TextEncoder().encode("definitely not an ELF object"));
    expect(e.code).toBe("ELF");
  });

  it(".BTF that is not PROGBITS", () => {
    const p = patchable("xdp_parse");
    p.view.setUint32(p.shdr(".BTF") + 4, 8 /* NOBITS */, true);
    expect(errorOf(p.bytes)).toMatchObject({ code: "BAD_SECTION", section: ".BTF" });
  });

  it("static program outside .text", () => {
    const p = patchable("xdp_pass");
    const at = p.sym("xdp_pass");
    p.bytes[at + 4] = (0 << 4) | 2; // STB_LOCAL, STT_FUNC
    expect(errorOf(p.bytes)).toMatchObject({ code: "NOT_SUPPORTED", symbol: "xdp_pass", section: "xdp" });
  });

  it("program size that is not whole instructions", () => {
    const p = patchable("xdp_pass");
    p.view.setBigUint64(p.sym("xdp_pass") + 16, 12n, true);
    expect(errorOf(p.bytes)).toMatchObject({ code: "BAD_PROGRAM", symbol: "xdp_pass" });
  });

  it("program running past its section", () => {
    const p = patchable("xdp_pass");
    p.view.setBigUint64(p.sym("xdp_pass") + 16, 800n, true);
    expect(errorOf(p.bytes)).toMatchObject({ code: "BAD_PROGRAM", symbol: "xdp_pass" });
  });

  it("a bad entry in a DWARF relocation section is skipped, as libbpf skips the section; in code it is an ELF error", () => {
    const p = patchable("xdp_parse");
    const debug = p.elf.sections.find((s) => s.name.startsWith(".rel.debug_"))!;
    const lastEntry = debug.offset + debug.size - 16;
    const symbolOutOfRange = (at: number) => p.view.setUint32(at + 12, 5000, true);
    symbolOutOfRange(lastEntry);
    expect(() => parseElf(p.bytes)).toThrow(); // the ELF reader alone checks every section
    expect(openObject(p.bytes).programs.length).toBeGreaterThan(0);
    symbolOutOfRange(p.rel(".relxdp", 0));
    expect(errorOf(p.bytes)).toMatchObject({ code: "ELF" });
  });

  it("relocation at an offset that is not an instruction boundary", () => {
    const p = patchable("xdp_parse");
    const at = p.rel(".relxdp", 0);
    p.view.setBigUint64(at, p.view.getBigUint64(at, true) + 4n, true);
    expect(errorOf(p.bytes)).toMatchObject({ code: "BAD_RELOCATION", section: ".relxdp" });
  });

  it("relocation against an instruction that is neither a call nor ld_imm64", () => {
    const p = patchable("xdp_parse");
    const at = p.rel(".relxdp", 0);
    p.view.setBigUint64(at, 0n, true); // first instruction of xdp_parse: a load from ctx
    const e = errorOf(p.bytes);
    expect(e).toMatchObject({ code: "BAD_RELOCATION", program: "xdp_parse", insn: 0 });
  });

  it("unknown section name, and the same object with the type given", () => {
    const p = patchable("xdp_pass");
    p.renameSection("xdp", "xdq");
    expect(errorOf(p.bytes)).toMatchObject({ code: "UNKNOWN_SECTION", program: "xdp_pass", section: "xdq" });
    const spec = openObject(p.bytes, { programTypes: { xdp_pass: { type: 6 } } });
    expect(spec.programs[0]).toMatchObject({ type: 6, section: "xdq" });
  });

  it("'?' sections turn autoload off", () => {
    const p = patchable("xdp_pass");
    // "xdp" becomes "?dp": no libbpf entry either way, so give the type
    p.renameSection("xdp", "?dp");
    const spec = openObject(p.bytes, { programTypes: { xdp_pass: { type: 6 } } });
    expect(spec.programs[0]).toMatchObject({ autoload: false, section: "dp", sectionName: "?dp" });
  });

  it("legacy 'maps' section is refused by libbpf but accepted here with a warning", () => {
    const spec = openObject(fixtureBytes("legacy_maps"), { path: "legacy_maps.bpf.o" });
    expect(spec.warnings.some((w) => w.includes("legacy map definitions"))).toBe(true);
    expect(spec.maps.map((m) => [m.name, m.kind, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags])).toEqual([
      ["legacy_counts", "legacy", 2, 4, 8, 4, 0],
      ["legacy_hash", "legacy", 1, 4, 4, 16, 1],
    ]);
    const refs = spec.programs[0]!.relocations.map((r) => r.target);
    expect(refs).toEqual([
      { kind: "map", map: "legacy_counts" },
      { kind: "map", map: "legacy_hash" },
    ]);
  });

  it("unknown map definition field", () => {
    const p = patchable("xdp_parse");
    const btf = p.elf.sections.find((s) => s.name === ".BTF")!;
    const text = new TextDecoder("latin1").decode(btf.data);
    const at = text.indexOf("\0max_entries\0");
    expect(at).toBeGreaterThan(0);
    p.bytes[btf.offset + at + 11] = "z".charCodeAt(0);
    expect(errorOf(p.bytes)).toMatchObject({ code: "BAD_MAP", map: "proto_count" });
  });

  it("truncated .BTF is a BtfError", () => {
    const p = patchable("xdp_parse");
    p.view.setUint32(p.elf.sections.find((s) => s.name === ".BTF")!.offset + 12, 0xfffff0, true);
    const error = thrownBy(p.bytes, BtfError);
    // the header's type_len (byte 12 of .BTF; type_off at 8 is where the section bounds are reported)
    expect(error).toMatchObject({ code: "BAD_HEADER", section: ".BTF", offset: 8 });
  });

  it("a .BTF type naming a missing type is a BtfError with its type id and byte offset", () => {
    const p = patchable("xdp_parse");
    const section = p.elf.sections.find((s) => s.name === ".BTF")!;
    // type [1] of clang's .BTF is a reference type (PTR to the map struct); its third word is the referenced id
    expect(p.view.getUint32(section.offset + 24 + 4, true) >>> 24).toBe(2 /* PTR */);
    p.view.setUint32(section.offset + 24 + 8, 0x7fffffff, true);
    const error = thrownBy(p.bytes, BtfError);
    // the offset is the patched word's, counted from the start of .BTF
    expect(error).toMatchObject({ code: "BAD_TYPE_ID", section: ".BTF", typeId: 1, offset: 32 });
  });

  it("stripped object (no symbol table)", () => {
    const p = patchable("xdp_pass");
    p.view.setUint32(p.shdr(".symtab") + 4, 1 /* PROGBITS */, true);
    // relocation sections still point at it, so the ELF reader or the loader must refuse; never a crash
    const e = errorOf(p.bytes);
    expect(["NO_SYMTAB", "ELF"]).toContain(e.code);
  });
});

describe("fuzzed objects", () => {
  it("byte mutations of every fixture give a spec, a LoaderError or a BtfError, nothing else", () => {
    const rand = seededRandom(0x2545f491);
    const outcomes = { ok: 0, error: 0 };
    for (const fixture of [...FIXTURES, "globals.bpfeb.o", "subprogs.bpfeb.o"]) {
      const open = (bytes: Uint8Array) => openObject(bytes, { allowUnknownSections: true });
      openMutated(fixture, fixtureBytes(fixture), rand, { rounds: 150, maxFlips: 8 }, open, OpenError, outcomes);
    }
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});
