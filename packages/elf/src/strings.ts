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

/** Tables up to this size are decoded whole on first use when they are pure ASCII (see `SectionStringTable`). */
const WHOLE_TABLE_LIMIT = 64 * 1024;

/** Whether every byte is below 0x80, so a byte offset is also a string index. */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/**
 * Strings of one section, read on demand and validated against the section's own bounds. A parse reads nearly every
 * string of a small table (all section and symbol names), so an ASCII table up to 64 KiB is decoded once as a whole
 * and each name is a slice of it: one decode instead of one per name, and no subarray per name.
 */
export class SectionStringTable implements ElfStringTable {
  readonly section: ElfSection;
  /** The whole table as a string once decoded; null when it cannot be used (too big, or not ASCII). */
  private text: string | null | undefined;

  /**
   * @param decoded a table over the same bytes read earlier in the same parse (section names, when the symbols'
   *   names live in the same .strtab, as clang writes it): its decoding is reused instead of done again.
   */
  constructor(section: ElfSection, decoded?: SectionStringTable) {
    this.section = section;
    const same =
      decoded !== undefined &&
      decoded.section.offset === section.offset &&
      decoded.section.size === section.size &&
      decoded.section.data.buffer === section.data.buffer;
    this.text = same ? decoded.text : undefined;
  }

  get(offset: number): string {
    const data = this.section.data;
    if (!(offset >= 0 && offset < data.length)) {
      throw new ElfError(
        "BAD_STRING",
        `${describeSection(this.section)}: string offset ${hex(offset)} is past the table (size ${hex(data.length)})`,
        { offset: this.section.offset + offset, section: sectionRef(this.section), expected: `< ${hex(data.length)}` },
      );
    }
    if (this.text === undefined) {
      this.text = data.length <= WHOLE_TABLE_LIMIT && isAscii(data) ? decodeString(data, 0, data.length) : null;
    }
    const text = this.text;
    // In the decoded text a character is a byte: its NUL search is the same as the bytes' (and cheaper).
    const end = text === null ? data.indexOf(0, offset) : text.indexOf("\0", offset);
    if (end < 0) {
      throw new ElfError(
        "BAD_STRING",
        `${describeSection(this.section)}: string at ${hex(offset)} has no NUL terminator before the end of the table`,
        { offset: this.section.offset + offset, section: sectionRef(this.section) },
      );
    }
    return text === null ? decodeString(data, offset, end) : text.slice(offset, end);
  }
}

/** Names of sections when there is no section name table (e_shstrndx = SHN_UNDEF): every name is empty. */
export const NO_NAMES = {
  get: (_offset: number): string => "",
};
