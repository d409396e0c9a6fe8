// USDT probes (SystemTap SDT notes): each probe site of a binary is an ELF note of owner "stapsdt", type 3, in the
// non-allocated section .note.stapsdt, whose descriptor holds three addresses (the site's nop, the link-time address
// of .stapsdt.base, the semaphore or 0) and three strings (provider, name, argument locations such as
// `-4@%edi 8@-16(%rbp) -4@$5`). As libbpf reads them for USDT attachment: the site's address moves by how far
// .stapsdt.base's sh_addr is from the address the note recorded (prelink), and the site and semaphore addresses are
// mapped to file offsets through the PT_LOAD segments (the site's must be executable, the semaphore's must not).

import { ByteReader } from "./byte-reader.js";
import { SHT_NOTE } from "./constants.js";
import { ElfError, hex, sectionRef } from "./errors.js";
import { describeFile, type ElfExecutable, ElfLookupError, loadSegmentAt, PF_X } from "./executable.js";
import { decodeString } from "./strings.js";

export const STAPSDT_NOTE_SECTION = ".note.stapsdt";
export const STAPSDT_BASE_SECTION = ".stapsdt.base";
export const NT_STAPSDT = 3;

/** One probe note as stored. */
export interface UsdtNote {
  readonly provider: string;
  readonly name: string;
  /** Argument locations, space-separated (`-4@%edi 8@$5`); "" for a probe without arguments. */
  readonly args: string;
  /** Address of the probe site (the nop) at link time. */
  readonly pc: number;
  /** Address of .stapsdt.base at link time. */
  readonly base: number;
  /** Address of the semaphore (a 16-bit counter), 0 without one. */
  readonly semaphore: number;
  /** File offset of the note's descriptor, for messages. */
  readonly noteOffset: number;
}

/** A probe site ready for a uprobe. */
export interface UsdtSite extends UsdtNote {
  /** The site's address after the .stapsdt.base adjustment. */
  readonly address: number;
  /** File offset of the site: where the uprobe goes. */
  readonly offset: number;
  /** File offset of the semaphore (the uprobe's ref_ctr_offset), 0 without one. */
  readonly semaphoreOffset: number;
}

function noteError(exe: ElfExecutable, at: number, what: string): ElfError {
  return new ElfError("BAD_HEADER", `${describeFile(exe.file)}: ${STAPSDT_NOTE_SECTION} at ${hex(at)}: ${what}`, {
    offset: at,
  });
}

/** Every stapsdt note of the binary in file order (other notes in the section are skipped); [] without the section. */
export function readUsdtNotes(exe: ElfExecutable): UsdtNote[] {
  const section = exe.sections.find((s) => s.name === STAPSDT_NOTE_SECTION);
  if (!section) return [];
  if (section.type !== SHT_NOTE) {
    throw new ElfError("BAD_HEADER", `${describeFile(exe.file)}: ${STAPSDT_NOTE_SECTION} is not SHT_NOTE`, {
      section: sectionRef(section),
      expected: "SHT_NOTE",
    });
  }
  const reader = new ByteReader(exe.bytes, exe.header.endianness === "little");
  const notes: UsdtNote[] = [];
  const end = section.offset + section.size;
  const align4 = (n: number) => (n + 3) & ~3;
  let at = section.offset;
  while (at + 12 <= end) {
    const namesz = reader.u32(at, "n_namesz");
    const descsz = reader.u32(at + 4, "n_descsz");
    const type = reader.u32(at + 8, "n_type");
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (descAt + descsz > end) throw noteError(exe, at, `note of ${descsz} bytes runs past the section`);
    const owner = decodeString(exe.bytes, nameAt, nameAt + Math.max(namesz - 1, 0));
    if (owner === "stapsdt" && type === NT_STAPSDT) notes.push(parseNote(exe, reader, at, descAt, descsz));
    at = next;
  }
  return notes;
}

function parseNote(exe: ElfExecutable, reader: ByteReader, at: number, descAt: number, descsz: number): UsdtNote {
  // three addresses, then at least three NUL-terminated strings (the arguments may be empty)
  if (descsz < 24 + 3) throw noteError(exe, at, `stapsdt note descriptor is ${descsz} bytes, too short`);
  const end = descAt + descsz;
  const strings: string[] = [];
  let p = descAt + 24;
  for (let i = 0; i < 3; i++) {
    const nul = exe.bytes.indexOf(0, p);
    if (nul < 0 || nul >= end) {
      throw noteError(
        exe,
        at,
        `stapsdt note string ${i + 1} (${["provider", "name", "arguments"][i]}) is not terminated`,
      );
    }
    strings.push(decodeString(exe.bytes, p, nul));
    p = nul + 1;
  }
  const [provider, name, rawArgs] = strings as [string, string, string];
  if (provider === "" || name === "") throw noteError(exe, at, "stapsdt note without provider or name");
  return {
    provider,
    name,
    // a leading ':' is an old variant's empty argument list
    args: rawArgs.startsWith(":") ? "" : rawArgs,
    pc: reader.u64(descAt, "probe address"),
    base: reader.u64(descAt + 8, "probe base"),
    semaphore: reader.u64(descAt + 16, "semaphore address"),
    noteOffset: descAt,
  };
}

/**
 * The sites of probe `provider:name`, with the file offsets a uprobe takes. Throws `ElfLookupError` NOT_FOUND
 * (naming the probes the binary has) when there is none, and `ElfError` when a site or semaphore is outside the
 * loadable segments or in the wrong kind of segment.
 */
export function findUsdtSites(exe: ElfExecutable, provider: string, name: string): UsdtSite[] {
  const notes = readUsdtNotes(exe);
  const probe = `${provider}:${name}`;
  const wanted = notes.filter((n) => n.provider === provider && n.name === name);
  if (wanted.length === 0) {
    const have = [...new Set(notes.map((n) => `${n.provider}:${n.name}`))];
    throw new ElfLookupError(
      "NOT_FOUND",
      `${describeFile(exe.file)}: no USDT probe ${probe} (${have.length ? `it has ${have.join(", ")}` : `no ${STAPSDT_NOTE_SECTION} notes`})`,
      { symbol: probe, file: exe.file },
    );
  }
  const baseSection = exe.sections.find((s) => s.name === STAPSDT_BASE_SECTION);
  return wanted.map((note) => {
    const address = baseSection ? note.pc + (baseSection.addr - note.base) : note.pc;
    const segment = loadSegmentAt(exe, address);
    if (!segment || (segment.flags & PF_X) === 0) {
      throw new ElfError(
        "OUT_OF_RANGE",
        `${describeFile(exe.file)}: USDT probe ${probe} at ${hex(address)} is ${segment ? "in a segment that is not executable" : "in no loadable segment"}`,
        { offset: note.noteOffset },
      );
    }
    let semaphoreOffset = 0;
    if (note.semaphore !== 0) {
      const data = loadSegmentAt(exe, note.semaphore);
      if (!data || (data.flags & PF_X) !== 0) {
        throw new ElfError(
          "OUT_OF_RANGE",
          `${describeFile(exe.file)}: the semaphore of USDT probe ${probe} at ${hex(note.semaphore)} is ${data ? "in an executable segment" : "in no loadable segment"}`,
          { offset: note.noteOffset + 16 },
        );
      }
      semaphoreOffset = note.semaphore - data.vaddr + data.offset;
    }
    return { ...note, address, offset: address - segment.vaddr + segment.offset, semaphoreOffset };
  });
}
