// The one error the VM throws. A program refused before it runs says which instruction and why (as the kernel's
// verifier does for the same structural faults); a run stopped by a fault says the instruction, the address and,
// when the caller passes line info, the C source line.

export type VmErrorCode =
  /** Structure: bad opcode, register, reserved field, jump target, LD_IMM64 pair, fall-off, unknown helper. */
  | "BAD_PROGRAM"
  /** A register read before anything was written to it (the kernel's "!read_ok"). */
  | "UNINITIALIZED"
  /** A load or store outside every region the program may touch. */
  | "MEMORY"
  /** The instruction budget ran out (a runaway loop). */
  | "BUDGET"
  /** bpf-to-bpf calls nested deeper than the kernel allows (8 frames). */
  | "CALL_DEPTH"
  /** A helper failed or is not provided. */
  | "HELPER"
  /** A host-side map operation failed (frozen map, full map, missing pin). */
  | "MAP"
  /** Test-run input the kernel refuses too (a packet shorter than an Ethernet header). */
  | "TEST_RUN"
  /** Hooks: an unknown one, a program type that cannot attach to it, a trigger context of the wrong form. */
  | "HOOK";

export interface VmErrorContext {
  /** Instruction index. */
  readonly pc?: number;
  /** The faulting address (MEMORY). */
  readonly address?: bigint;
  /** The C source line of the instruction, from line_info, when known. */
  readonly line?: string;
  /** The errno the kernel gives for the same request (host-side map operations), when there is one. */
  readonly errno?: number;
}

export class VmError extends Error {
  override readonly name = "VmError";
  readonly code: VmErrorCode;
  readonly pc: number | undefined;
  readonly address: bigint | undefined;
  readonly line: string | undefined;
  readonly errno: number | undefined;
  /** The message without the instruction and the line. */
  readonly detail: string;

  constructor(code: VmErrorCode, message: string, context: VmErrorContext = {}) {
    const where = context.pc === undefined ? "" : `insn ${context.pc}: `;
    super(`${where}${message}${context.line ? ` [${context.line}]` : ""}`);
    this.code = code;
    this.pc = context.pc;
    this.address = context.address;
    this.line = context.line;
    this.errno = context.errno;
    this.detail = message;
  }

  /** The same error, naming the C source line of its instruction. */
  withLine(line: string): VmError {
    const error = new VmError(this.code, this.detail, { pc: this.pc, address: this.address, line, errno: this.errno });
    error.stack = this.stack;
    return error;
  }
}
