/** What went wrong, so callers can branch without parsing messages. */
export type LoaderErrorCode =
  | "ELF" // the ELF container itself is malformed (the ElfError is the cause)
  | "NO_SYMTAB" // no symbol table: a stripped object
  | "BAD_SECTION" // a section libbpf gives meaning to has the wrong type, size or contents
  | "BAD_PROGRAM" // a function symbol does not describe valid code (size, alignment, bounds, linkage)
  | "BAD_BTF" // .BTF / .BTF.ext lack pieces the object relies on (a malformed blob is a BtfError: see below)
  | "BAD_MAP" // a map definition that libbpf would refuse
  | "BAD_EXTERN" // an extern without BTF, of an unsupported type, or in an unknown section
  | "BAD_RELOCATION" // a relocation that does not fit the instruction or symbol it names
  | "UNKNOWN_SECTION" // a program section name libbpf's table does not know (and no type was given)
  | "NOT_SUPPORTED" // valid ELF, but a feature this loader (like libbpf) refuses, e.g. static programs
  | "NOT_FOUND" // a program, map or variable looked up by name does not exist
  | "BAD_VALUE" // a user-given value (global variable, kconfig) does not fit its type
  | "UNRESOLVED" // a non-weak extern, map fd or kernel symbol the prepare step needs was not provided
  | "CORE"; // a CO-RE relocation failed (the CoreRelocationError is the cause)

/** Where in the object an error is. Every field is optional; messages already name them. */
export interface LoaderErrorContext {
  section?: string;
  symbol?: string;
  program?: string;
  map?: string;
  /** Instruction index (8-byte slot) inside the program or section named. */
  insn?: number;
  /** Byte offset inside the section named. */
  offset?: number;
  cause?: unknown;
}

/**
 * The error `@bpfkit/loader` throws for what it refuses. The message stands alone; the fields say the same to
 * code. The one other error it lets through is @bpfkit/btf's BtfError: a malformed .BTF (validated once, by
 * Btf.parse) or .BTF.ext is reported with the type id or byte offset of the problem.
 */
export class LoaderError extends Error {
  override readonly name = "LoaderError";
  readonly code: LoaderErrorCode;
  readonly section: string | undefined;
  readonly symbol: string | undefined;
  readonly program: string | undefined;
  readonly map: string | undefined;
  readonly insn: number | undefined;
  readonly offset: number | undefined;

  constructor(code: LoaderErrorCode, message: string, context: LoaderErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.section = context.section;
    this.symbol = context.symbol;
    this.program = context.program;
    this.map = context.map;
    this.insn = context.insn;
    this.offset = context.offset;
  }
}

/** Alias kept for readers who know cilium/ebpf's and libbpf's vocabulary: an inconsistency in the object. */
export { LoaderError as ObjectError };
