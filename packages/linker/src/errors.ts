// The one error the linker throws. Every failure names the input it is about; symbol conflicts also name the
// other input, so a user of a ten-object link knows which two files to look at.

export type LinkErrorCode =
  /** No inputs were given. */
  | "NO_INPUTS"
  /** The same input (same name, or the same bytes) was given twice. */
  | "DUPLICATE_INPUT"
  /** Not an ELF file, or a malformed one. */
  | "BAD_ELF"
  /** An ELF file that is not a 64-bit BPF relocatable object. */
  | "NOT_BPF"
  /** Inputs of different byte orders. */
  | "BYTE_ORDER"
  /** A section, symbol or relocation libbpf's linker refuses (sanity checks). */
  | "BAD_INPUT"
  /** Malformed or missing .BTF / .BTF.ext, or BTF that does not describe a global symbol. */
  | "BAD_BTF"
  /** Same-named sections that cannot be merged (type, flags, entsize; license/version contents). */
  | "SECTION_MISMATCH"
  /** Two strong definitions of one global symbol. */
  | "SYMBOL_CONFLICT"
  /** An extern and its definition (or two definitions) whose BTF types do not match. */
  | "TYPE_MISMATCH"
  /** Two definitions of one map that differ. */
  | "MAP_MISMATCH";

export interface LinkErrorContext {
  /** The input the problem was found in. */
  readonly input?: string;
  /** The other input involved (the earlier definition of a conflicting symbol). */
  readonly otherInput?: string;
  readonly symbol?: string;
  readonly section?: string;
  /** For MAP_MISMATCH: the definition fields that differ. */
  readonly fields?: readonly string[];
}

export class LinkError extends Error {
  override readonly name = "LinkError";
  readonly code: LinkErrorCode;
  readonly input: string | undefined;
  readonly otherInput: string | undefined;
  readonly symbol: string | undefined;
  readonly section: string | undefined;
  readonly fields: readonly string[] | undefined;

  constructor(code: LinkErrorCode, message: string, context: LinkErrorContext = {}, options?: { cause?: unknown }) {
    super(
      context.input !== undefined && !message.includes(`'${context.input}'`) ? `${context.input}: ${message}` : message,
      options,
    );
    this.code = code;
    this.input = context.input;
    this.otherInput = context.otherInput;
    this.symbol = context.symbol;
    this.section = context.section;
    this.fields = context.fields;
  }
}
