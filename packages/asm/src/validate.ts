// Which opcodes the instruction set defines. Shared by decode (bytes in) and encode (model in), so both sides
// refuse the same things. Semantic checks (jump targets, END widths, reserved fields of ordinary instructions)
// are the verifier's job, not ours: we only refuse what has no meaning as an encoding.
import type { AsmErrorCode } from "./errors.js";
import {
  AluOp,
  AtomicOp,
  aluOpOf,
  Class,
  classOf,
  JmpOp,
  jmpOpOf,
  MAX_REGISTER,
  Mode,
  modeOf,
  NOSPEC_MODE,
  Size,
  Source,
  sizeOf,
  sourceOf,
} from "./opcodes.js";

export interface Problem {
  readonly code: AsmErrorCode;
  readonly message: string;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(2, "0")}`;

function badOpcode(opcode: number, why: string): Problem {
  return { code: "BAD_OPCODE", message: `invalid opcode ${hex(opcode)}: ${why}` };
}

function atomicProblem(opcode: number, imm: number): Problem | undefined {
  const size = sizeOf(opcode);
  const rmw = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR];
  const isRmw = rmw.some((op) => imm === op || imm === (op | AtomicOp.FETCH));
  if (isRmw || imm === AtomicOp.XCHG || imm === AtomicOp.CMPXCHG) {
    if (size === Size.W || size === Size.DW) return undefined;
    return badOpcode(opcode, "read-modify-write atomics need 32 or 64-bit size");
  }
  if (imm === AtomicOp.LOAD_ACQ || imm === AtomicOp.STORE_REL) return undefined;
  return { code: "BAD_ATOMIC", message: `undefined atomic operation imm=${hex(imm)} for opcode ${hex(opcode)}` };
}

/**
 * Problem with an opcode (given the instruction's imm, which selects the atomic operation), or undefined if the
 * instruction set defines it. Kernel-internal forms (ST|NOSPEC, r11) are refused here; lenient callers skip this.
 */
export function opcodeProblem(opcode: number, imm: number): Problem | undefined {
  const cls = classOf(opcode);
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = aluOpOf(opcode);
      if (op > AluOp.END) return badOpcode(opcode, "undefined ALU operation");
      if (op === AluOp.NEG && sourceOf(opcode) !== Source.K) return badOpcode(opcode, "NEG takes no source register");
      if (op === AluOp.END && cls === Class.ALU64 && sourceOf(opcode) !== Source.K)
        return badOpcode(opcode, "ALU64 byte swap must use source bit 0");
      return undefined;
    }
    case Class.JMP:
    case Class.JMP32: {
      const op = jmpOpOf(opcode);
      const x = sourceOf(opcode) === Source.X;
      if (op > JmpOp.JCOND) return badOpcode(opcode, "undefined jump operation");
      if (op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JCOND) {
        if (cls === Class.JMP32) return badOpcode(opcode, "call/exit/may_goto exist only in the JMP class");
        if (x) return badOpcode(opcode, "call/exit/may_goto take no source register");
      }
      if (op === JmpOp.JA && x && cls === Class.JMP32) return badOpcode(opcode, "JMP32 JA takes no source register");
      return undefined;
    }
    case Class.LD: {
      const mode = modeOf(opcode);
      if (mode === Mode.IMM) return sizeOf(opcode) === Size.DW ? undefined : badOpcode(opcode, "LD IMM needs DW size");
      if (mode === Mode.ABS || mode === Mode.IND)
        return sizeOf(opcode) === Size.DW ? badOpcode(opcode, "legacy packet loads have no DW size") : undefined;
      return badOpcode(opcode, "undefined LD mode");
    }
    case Class.LDX: {
      const mode = modeOf(opcode);
      if (mode === Mode.MEM) return undefined;
      if (mode === Mode.MEMSX)
        return sizeOf(opcode) === Size.DW ? badOpcode(opcode, "sign-extending load has no DW size") : undefined;
      return badOpcode(opcode, "undefined LDX mode");
    }
    case Class.ST:
      if (modeOf(opcode) === Mode.MEM) return undefined;
      if (modeOf(opcode) === NOSPEC_MODE) return badOpcode(opcode, "nospec is kernel-internal");
      return badOpcode(opcode, "undefined ST mode");
    case Class.STX: {
      const mode = modeOf(opcode);
      if (mode === Mode.MEM) return undefined;
      if (mode === Mode.ATOMIC) return atomicProblem(opcode, imm);
      return badOpcode(opcode, "undefined STX mode");
    }
  }
}

/** Problem with the register numbers, or undefined if both are r0..r10. */
export function registerProblem(dst: number, src: number): Problem | undefined {
  if (dst > MAX_REGISTER) return { code: "BAD_REGISTER", message: `invalid destination register r${dst}` };
  if (src > MAX_REGISTER) return { code: "BAD_REGISTER", message: `invalid source register r${src}` };
  return undefined;
}
