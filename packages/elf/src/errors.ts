/** What went wrong, so callers can branch without parsing messages. */
export type ElfErrorCode =
  | "TRUNCATED" // the file ends inside the ELF header or the section header table
  | "BAD_MAGIC" // not an ELF file
  | "BAD_CLASS" // not ELF64
  | "BAD_DATA" // EI_DATA is neither little- nor big-endian
  | "BAD_VERSION" // EI_VERSION / e_version is not 1
  | "BAD_TYPE" // e_type is not the expected one (ET_REL by default)
  | "BAD_MACHINE" // e_machine is not the expected one (EM_BPF by default)
  | "BAD_HEADER" // another header field is inconsistent (e_ehsize, e_shoff without sections ...)
  | "OUT_OF_RANGE" // an offset, size or index points past the file, a table or a section
  | "OVERLAP" // two file regions (sections, headers) share bytes
  | "BAD_STRING" // a string offset past its table, or a string without its NUL terminator
  | "BAD_ENTSIZE" // sh_entsize/sh_size do not match the fixed entry size of the table
  | "BAD_LINK" // sh_link/sh_info points to an absent section, the wrong kind of section, or itself
  | "VALUE_TOO_LARGE" // a 64-bit field does not fit a JavaScript number exactly (above 2^53)
  | "UNSUPPORTED" // valid ELF, but outside what this package handles (e.g. several symbol tables when writing)
  | "NOT_FOUND" // an executable has no such function or probe (ElfLookupError names both)
  | "AMBIGUOUS" // an executable defines the function twice (ElfLookupError)
  | "BAD_MODEL"; // writeElf: the write model is inconsistent (dangling reference, bad size ...)

/** A section an error is about. */
export interface ElfErrorSection {
  index: number;
  name?: string;
}

export interface ElfErrorContext {
  /** File offset the error is about (for writeElf: none). */
  offset?: number;
  section?: ElfErrorSection;
  /** What a valid file would have had there. */
  expected?: string | number;
}

/** The only error `@bpfkit/elf` throws. The message says what and where; the fields say it to code. */
export class ElfError extends Error {
  override readonly name = "ElfError";
  readonly code: ElfErrorCode;
  readonly offset: number | undefined;
  readonly section: ElfErrorSection | undefined;
  readonly expected: string | number | undefined;

  constructor(code: ElfErrorCode, message: string, context: ElfErrorContext = {}) {
    super(message);
    this.code = code;
    this.offset = context.offset;
    this.section = context.section;
    this.expected = context.expected;
  }
}

/** `0x1f40`: offsets and sizes in messages are hex, like readelf prints them. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/** `section header 7 (.rel.text)` or `section header 7` when the name is not known yet. */
export function describeSection(section: ElfErrorSection): string {
  return section.name !== undefined && section.name !== ""
    ? `section header ${section.index} (${section.name})`
    : `section header ${section.index}`;
}

/** The `{ index, name }` of a section, for error context (not the whole section with its data). */
export function sectionRef(section: { index: number; name?: string }): ElfErrorSection {
  return section.name === undefined ? { index: section.index } : { index: section.index, name: section.name };
}
