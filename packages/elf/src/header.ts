import { ByteReader } from "./byte-reader.js";
import {
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_OSABI,
  EI_VERSION,
  ELF_MAGIC,
  ELF64_EHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_BPF,
  ET_REL,
  EV_CURRENT,
} from "./constants.js";
import { ElfError } from "./errors.js";
import type { ElfHeader, ParseOptions } from "./types.js";

/** Header fields as stored; section counts are finished by the section table reader (extended numbering). */
export type RawElfHeader = Omit<ElfHeader, "shnum" | "shstrndx"> & { rawShnum: number; rawShstrndx: number };

/** Whether `bytes` start with the ELF magic (\x7fELF): an ELF file, as opposed to e.g. raw BTF. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= ELF_MAGIC.length && ELF_MAGIC.every((byte, i) => bytes[i] === byte);
}

/** Checks e_ident and reads the ELF64 header. Returns a reader in the file's byte order. */
export function readHeader(bytes: Uint8Array, options: ParseOptions): { header: RawElfHeader; reader: ByteReader } {
  if (bytes.length < ELF_MAGIC.length) {
    throw new ElfError("TRUNCATED", `file is ${bytes.length} bytes, too short for an ELF header`, {
      offset: 0,
      expected: ELF64_EHDR_SIZE,
    });
  }
  if (!isElf(bytes)) {
    throw new ElfError("BAD_MAGIC", "not an ELF file: the first 4 bytes are not \\x7fELF", { offset: 0 });
  }
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfError("TRUNCATED", `file is ${bytes.length} bytes, too short for an ELF64 header (64)`, {
      offset: 0,
      expected: ELF64_EHDR_SIZE,
    });
  }
  const elfClass = bytes[EI_CLASS]!;
  if (elfClass !== ELFCLASS64) {
    throw new ElfError("BAD_CLASS", `EI_CLASS is ${elfClass}, only ELFCLASS64 (2) is supported`, {
      offset: EI_CLASS,
      expected: ELFCLASS64,
    });
  }
  const data = bytes[EI_DATA]!;
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    throw new ElfError("BAD_DATA", `EI_DATA is ${data}, expected 1 (little-endian) or 2 (big-endian)`, {
      offset: EI_DATA,
      expected: "1 or 2",
    });
  }
  const identVersion = bytes[EI_VERSION]!;
  if (identVersion !== EV_CURRENT) {
    throw new ElfError("BAD_VERSION", `EI_VERSION is ${identVersion}, expected 1`, {
      offset: EI_VERSION,
      expected: EV_CURRENT,
    });
  }
  const reader = new ByteReader(bytes, data === ELFDATA2LSB);
  const type = reader.u16(0x10, "e_type");
  const machine = reader.u16(0x12, "e_machine");
  const version = reader.u32(0x14, "e_version");
  const wantedMachine = options.machine ?? EM_BPF;
  if (wantedMachine !== "any" && machine !== wantedMachine) {
    throw new ElfError("BAD_MACHINE", `e_machine is ${machine}, expected ${wantedMachine} (EM_BPF is 247)`, {
      offset: 0x12,
      expected: wantedMachine,
    });
  }
  const wantedType = options.type ?? ET_REL;
  if (wantedType !== "any" && type !== wantedType) {
    throw new ElfError("BAD_TYPE", `e_type is ${type}, expected ${wantedType} (ET_REL is 1)`, {
      offset: 0x10,
      expected: wantedType,
    });
  }
  if (version !== EV_CURRENT) {
    throw new ElfError("BAD_VERSION", `e_version is ${version}, expected 1`, { offset: 0x14, expected: EV_CURRENT });
  }
  const ehsize = reader.u16(0x34, "e_ehsize");
  if (ehsize !== ELF64_EHDR_SIZE) {
    throw new ElfError("BAD_HEADER", `e_ehsize is ${ehsize}, expected 64 for ELF64`, {
      offset: 0x34,
      expected: ELF64_EHDR_SIZE,
    });
  }
  const header: RawElfHeader = {
    class: elfClass,
    data,
    endianness: data === ELFDATA2LSB ? "little" : "big",
    identVersion,
    osabi: bytes[EI_OSABI]!,
    abiVersion: bytes[EI_ABIVERSION]!,
    type,
    machine,
    version,
    entry: reader.u64(0x18, "e_entry"),
    phoff: reader.u64(0x20, "e_phoff"),
    shoff: reader.u64(0x28, "e_shoff"),
    flags: reader.u32(0x30, "e_flags"),
    ehsize,
    phentsize: reader.u16(0x36, "e_phentsize"),
    phnum: reader.u16(0x38, "e_phnum"),
    shentsize: reader.u16(0x3a, "e_shentsize"),
    rawShnum: reader.u16(0x3c, "e_shnum"),
    rawShstrndx: reader.u16(0x3e, "e_shstrndx"),
  };
  return { header, reader };
}

/** The finished header once the section table has resolved the counts (fields listed, not spread: hot path). */
export function withSectionCounts(raw: RawElfHeader, shnum: number, shstrndx: number): ElfHeader {
  return {
    class: raw.class,
    data: raw.data,
    endianness: raw.endianness,
    identVersion: raw.identVersion,
    osabi: raw.osabi,
    abiVersion: raw.abiVersion,
    type: raw.type,
    machine: raw.machine,
    version: raw.version,
    entry: raw.entry,
    phoff: raw.phoff,
    shoff: raw.shoff,
    flags: raw.flags,
    ehsize: raw.ehsize,
    phentsize: raw.phentsize,
    phnum: raw.phnum,
    shentsize: raw.shentsize,
    shnum,
    shstrndx,
  };
}
