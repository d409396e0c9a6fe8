import { BtfError } from "../errors.js";

// The one error type the CO-RE engine throws. It carries where the failing relocation sits (program, ELF
// section, instruction index, relocation index) and what it asked for (the formatted local spec or the raw
// type id + access string when the spec itself is bad), so a message alone tells the user what to fix.

export type CoreErrorCode =
  /** .BTF.ext record is malformed: insn offset not a multiple of 8, past the program, unknown kind. */
  | "BAD_RECORD"
  /** Type id of a record outside the local BTF. */
  | "BAD_TYPE_ID"
  /** Access string not parseable or not valid for the type (libbpf: "parsing ... failed"). */
  | "BAD_ACCESS_STRING"
  /** Candidates disagree (libbpf: field offset / relocation decision ambiguity). */
  | "AMBIGUOUS"
  /** Instruction at the record's index cannot carry this relocation (wrong class, register source, shape). */
  | "BAD_INSTRUCTION"
  /** The instruction does not hold the value the local BTF predicts (libbpf's validation). */
  | "UNEXPECTED_VALUE"
  /** New value cannot be encoded (offset > SHRT_MAX, bitfield wider than 64 bits, bad memory size). */
  | "OUT_OF_RANGE"
  /** No target BTF was given but a relocation needs one. */
  | "NO_TARGET"
  /** Anonymous local type, unsupported relocation on an array accessor, and other things libbpf refuses. */
  | "UNSUPPORTED"
  /** A type walk hit malformed BTF (reference out of range, nesting too deep). */
  | "BAD_BTF";

export interface CoreErrorContext {
  readonly program?: string;
  readonly section?: string;
  /** Instruction index (8-byte slots) in the program, as libbpf prints it. */
  readonly insnIndex?: number;
  /** Index of the relocation in its .BTF.ext section, libbpf's "relo #N". */
  readonly reloIndex?: number;
  /** Formatted local spec (`<byte_off> [21] struct task_struct.pid (0:92 @ offset 1264)`) or raw record text. */
  readonly spec?: string;
}

export class CoreRelocationError extends Error {
  readonly code: CoreErrorCode;
  readonly program: string | undefined;
  readonly section: string | undefined;
  readonly insnIndex: number | undefined;
  readonly reloIndex: number | undefined;
  readonly spec: string | undefined;
  /** The failure itself, without the location and spec the message adds (libbpf's text after `relo #N: `). */
  readonly reason: string;

  constructor(code: CoreErrorCode, message: string, context: CoreErrorContext = {}) {
    const where = [
      context.program === undefined ? undefined : `prog '${context.program}'`,
      context.section === undefined ? undefined : `sec '${context.section}'`,
      context.reloIndex === undefined ? undefined : `relo #${context.reloIndex}`,
      context.insnIndex === undefined ? undefined : `insn #${context.insnIndex}`,
    ]
      .filter((part) => part !== undefined)
      .join(": ");
    const text = [where, message, context.spec === undefined ? undefined : `spec ${context.spec}`]
      .filter((part) => part !== undefined && part !== "")
      .join(": ");
    super(text);
    this.name = "CoreRelocationError";
    this.code = code;
    this.program = context.program;
    this.section = context.section;
    this.insnIndex = context.insnIndex;
    this.reloIndex = context.reloIndex;
    this.spec = context.spec;
    this.reason = message;
  }
}

/**
 * Internal signal from the pure spec/match/calc functions: a failure libbpf reports with an errno. The driver turns
 * it into a CoreRelocationError with full context.
 */
export class CoreFailure extends Error {
  readonly code: CoreErrorCode;
  constructor(code: CoreErrorCode, message: string) {
    super(message);
    this.name = "CoreFailure";
    this.code = code;
  }
}

/** The CoreFailure behind `error`: itself, or a BtfError from a Btf accessor (malformed graph) as BAD_BTF. */
export function asCoreFailure(error: unknown): CoreFailure | undefined {
  if (error instanceof CoreFailure) return error;
  if (error instanceof BtfError) return new CoreFailure("BAD_BTF", error.message);
  return undefined;
}
