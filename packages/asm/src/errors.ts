/** What went wrong, so callers can branch without parsing messages. */
export type AsmErrorCode =
  | "TRUNCATED" // byte length not a multiple of 8, or an ld_imm64 missing its second half
  | "BAD_OPCODE" // opcode byte not defined by the instruction set
  | "BAD_LD_IMM64" // second half of an ld_imm64 has non-zero reserved fields
  | "BAD_REGISTER" // register number above r10
  | "BAD_ATOMIC" // STX|ATOMIC with an undefined operation in imm
  | "BAD_FIELD"; // a field value that cannot be encoded (out of range, not an integer)

/** The only error `@bpfkit/asm` throws. Carries the instruction index and byte offset it refers to. */
export class AsmError extends Error {
  override readonly name = "AsmError";
  readonly code: AsmErrorCode;
  /** Index of the instruction slot (8-byte unit) the error is about, when known. */
  readonly index: number | undefined;
  /** Byte offset of that slot in the input, when known. */
  readonly byteOffset: number | undefined;

  constructor(code: AsmErrorCode, message: string, where: { index?: number; byteOffset?: number } = {}) {
    const at =
      where.index !== undefined
        ? ` (insn ${where.index}${where.byteOffset !== undefined ? `, byte ${where.byteOffset}` : ""})`
        : "";
    super(`${message}${at}`);
    this.code = code;
    this.index = where.index;
    this.byteOffset = where.byteOffset;
  }
}
