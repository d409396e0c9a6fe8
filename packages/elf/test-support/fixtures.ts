// Test helpers: the committed clang objects and llvm-readelf's JSON view of an object (the oracle).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const fixtureDir = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

/** Every committed object, little- and big-endian (new fixtures are picked up automatically). */
export function fixtureNames(): string[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".o"))
    .sort();
}

export function loadFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(fixtureDir, name)));
}

export interface ReadelfSection {
  Index: number;
  Name: { Name: string; Value: number };
  Type: { Name: string; Value: number };
  Flags: { Value: number };
  Address: number;
  Offset: number;
  Size: number;
  Link: number;
  Info: number;
  AddressAlignment: number;
  EntrySize: number;
}

export interface ReadelfSymbol {
  Name: { Name: string; Value: number };
  Value: number;
  Size: number;
  Binding: { Name: string; Value: number };
  Type: { Name: string; Value: number };
  Other: { Value: number };
  Section: { Name: string; Value: number };
}

export interface ReadelfRelocation {
  Offset: number;
  Type: { Name: string; Value: number };
  Symbol: { Name: string; Value: number };
  Addend?: number;
}

export interface ReadelfView {
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocations: { SectionIndex: number; Relocs: { Relocation: ReadelfRelocation }[] }[];
}

/** `llvm-readelf-19 -S -s -r --elf-output-style=JSON` of a file on disk. */
export function readelfFile(path: string): ReadelfView {
  const text = execFileSync("llvm-readelf-19", ["-S", "-s", "-r", "--elf-output-style=JSON", path], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const [file] = JSON.parse(text) as {
    Sections: { Section: ReadelfSection }[];
    Symbols?: { Symbol: ReadelfSymbol }[];
    Relocations?: ReadelfView["relocations"];
  }[];
  return {
    sections: file!.Sections.map((s) => s.Section),
    symbols: (file!.Symbols ?? []).map((s) => s.Symbol),
    relocations: file!.Relocations ?? [],
  };
}

/** The same for bytes in memory (written to a temporary file). */
export function readelfBytes(bytes: Uint8Array): ReadelfView {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-elf-"));
  try {
    const path = join(dir, "object.o");
    writeFileSync(path, bytes);
    return readelfFile(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
