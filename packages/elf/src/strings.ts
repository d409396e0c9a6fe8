import { describeSection, ElfError, hex, sectionRef } from "./errors.js";
import type { ElfSection, ElfStringTable } from "./types.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Decodes `bytes[start, end)`: ASCII (almost every symbol and section name) without TextDecoder's call overhead. */
export function decodeString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return utf8.decode(bytes.subarray(start, end));
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return utf8.decode(bytes.subarray(start, end));
  // One call for the whole ASCII run: no intermediate strings.
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

/** Strings of one section, read on demand and validated against the section's own bounds. */
export class SectionStringTable implements ElfStringTable {
  readonly section: ElfSection;

  constructor(section: ElfSection) {
    this.section = section;
  }

  get(offset: number): string {
    const data = this.section.data;
    if (!(offset >= 0 && offset < data.length)) {
      throw new ElfError(
        "bad-string",
        `${describeSection(this.section)}: string offset ${hex(offset)} is past the table (size ${hex(data.length)})`,
        { offset: this.section.offset + offset, section: sectionRef(this.section), expected: `< ${hex(data.length)}` },
      );
    }
    const end = data.indexOf(0, offset);
    if (end < 0) {
      throw new ElfError(
        "bad-string",
        `${describeSection(this.section)}: string at ${hex(offset)} has no NUL terminator before the end of the table`,
        { offset: this.section.offset + offset, section: sectionRef(this.section) },
      );
    }
    return decodeString(data, offset, end);
  }
}

/** Names of sections when there is no section name table (e_shstrndx = SHN_UNDEF): every name is empty. */
export const NO_NAMES = {
  get: (_offset: number): string => "",
};
