// Test-only access to the committed BPF fixtures: executable section bytes located with llvm-readelf-19
// (the asm package must not depend on @bpfkit/elf, which is written concurrently).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Endian } from "../src/codec.js";

export const FIXTURE_DIR = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

export interface ExecSection {
  readonly object: string;
  readonly name: string;
  readonly endian: Endian;
  readonly bytes: Uint8Array;
}

interface ReadelfSection {
  Section: {
    Name: { Name: string };
    Type: { Name: string };
    Flags: { Value: number };
    Offset: number;
    Size: number;
  };
}

/** All committed fixture objects (file names), little- and big-endian. */
export function fixtureObjects(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".o"))
    .sort();
}

const SHF_EXECINSTR = 0x4;

/** Non-empty executable PROGBITS sections of a fixture object. */
export function executableSections(object: string): ExecSection[] {
  const path = FIXTURE_DIR + object;
  const json = JSON.parse(
    execFileSync("llvm-readelf-19", ["--elf-output-style=JSON", "-S", path], { encoding: "utf8" }),
  );
  const summary = json[0].FileSummary as { Arch: string };
  const endian: Endian = summary.Arch === "bpfeb" ? "big" : "little";
  const file = readFileSync(path);
  return (json[0].Sections as ReadelfSection[])
    .map((s) => s.Section)
    .filter((s) => s.Type.Name === "SHT_PROGBITS" && (s.Flags.Value & SHF_EXECINSTR) !== 0 && s.Size > 0)
    .map((s) => ({
      object,
      name: s.Name.Name,
      endian,
      bytes: new Uint8Array(file.buffer, file.byteOffset + s.Offset, s.Size).slice(),
    }));
}
