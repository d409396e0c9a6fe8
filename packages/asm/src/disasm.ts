// Instruction text in the exact format of the kernel's kernel/bpf/disasm.c (print_bpf_insn), which is what the
// verifier log and `bpftool prog dump xlated` print. Two dialects:
//   "current": disasm.c as of 2026 (sdiv/smod, movsx, bswap, memsx, load-acquire/store-release, gotol, may_goto,
//              gotox, addr_space_cast, per-CPU mov).
//   "v6.1":    disasm.c of kernel 6.1, compiled into bpftool 7.1. It predates the v4 instructions, so it prints
//              e.g. a sign-extending move as a plain move and a 64-bit bswap as BUG_alu64_d7.
// How call targets and 64-bit immediates are named is pluggable, like disasm.c's callbacks (`Symbolizer`).

import { type Instruction, imm64 } from "./instruction.js";
import {
  ADDR_PERCPU_OFF,
  ADDR_SPACE_CAST_OFF,
  AluOp,
  AtomicOp,
  aluOpOf,
  Class,
  classOf,
  JmpOp,
  jmpOpOf,
  MAY_GOTO,
  Mode,
  modeOf,
  NOSPEC_MODE,
  PseudoCall,
  PseudoLd,
  Size,
  Source,
  sizeOf,
  sourceOf,
} from "./opcodes.js";
import { HELPER_NAMES } from "./tables.generated.js";

export type DisasmDialect = "current" | "v6.1";

/**
 * Naming hooks, the equivalent of disasm.c's `cb_call` / `cb_imm`. Return undefined from `call` to fall back to
 * the kernel's default text. They see the instruction exactly as printed.
 */
export interface Symbolizer {
  /**
   * Name of a call target. Consulted for every call except helper calls (src 0) whose imm is a known helper id,
   * which always print the helper name, as in disasm.c.
   */
  call?(insn: Instruction): string | undefined;
  /** Text for the value of an ld_imm64 (default `0x` + hex). `value` is already masked if pointers are hidden. */
  imm64?(insn: Instruction, value: bigint): string;
}

export interface FormatOptions {
  readonly symbolizer?: Symbolizer;
  /** Default "current". */
  readonly dialect?: DisasmDialect;
  /** Print map/BTF pointer values of ld_imm64 (bpftool passes true; the unprivileged verifier log false). */
  readonly allowPtrLeaks?: boolean;
  /** Helper names by id; defaults to the UAPI table. */
  readonly helperNames?: readonly string[];
}

// glibc prints a NULL %s argument as "(null)"; the kernel's string tables have holes that reach printf that way.
const NULL_TEXT = "(null)";

const ALU_TEXT: Record<number, string> = {
  [AluOp.ADD]: "+=",
  [AluOp.SUB]: "-=",
  [AluOp.MUL]: "*=",
  [AluOp.DIV]: "/=",
  [AluOp.OR]: "|=",
  [AluOp.AND]: "&=",
  [AluOp.LSH]: "<<=",
  [AluOp.RSH]: ">>=",
  [AluOp.NEG]: "neg",
  [AluOp.MOD]: "%=",
  [AluOp.XOR]: "^=",
  [AluOp.MOV]: "=",
  [AluOp.ARSH]: "s>>=",
  [AluOp.END]: "endian",
};
const SIGNED_ALU_TEXT: Record<number, string> = { [AluOp.DIV]: "s/=", [AluOp.MOD]: "s%=" };
const ATOMIC_ALU_TEXT: Record<number, string> = {
  [AtomicOp.ADD]: "add",
  [AtomicOp.AND]: "and",
  [AtomicOp.OR]: "or",
  [AtomicOp.XOR]: "xor",
};
const SIZE_TEXT: Record<number, string> = { [Size.W]: "u32", [Size.H]: "u16", [Size.B]: "u8", [Size.DW]: "u64" };
const SIGNED_SIZE_TEXT: Record<number, string> = { [Size.W]: "s32", [Size.H]: "s16", [Size.B]: "s8" };
const MOVSX_TEXT: Record<number, string> = { 8: "(s8)", 16: "(s16)", 32: "(s32)" };
const JMP_TEXT: Record<number, string> = {
  [JmpOp.JA]: "jmp",
  [JmpOp.JEQ]: "==",
  [JmpOp.JGT]: ">",
  [JmpOp.JLT]: "<",
  [JmpOp.JGE]: ">=",
  [JmpOp.JLE]: "<=",
  [JmpOp.JSET]: "&",
  [JmpOp.JNE]: "!=",
  [JmpOp.JSGT]: "s>",
  [JmpOp.JSLT]: "s<",
  [JmpOp.JSGE]: "s>=",
  [JmpOp.JSLE]: "s<=",
  [JmpOp.CALL]: "call",
  [JmpOp.EXIT]: "exit",
};
const CLASS_TEXT = ["ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64"];

const text = (table: Record<number, string>, key: number): string => table[key] ?? NULL_TEXT;
/** printf "%02x". */
const code2 = (opcode: number): string => opcode.toString(16).padStart(2, "0");
/** printf "%+d". */
const signed = (v: number): string => (v < 0 ? `${v}` : `+${v}`);
/** printf "0x%x" of a 32-bit value. */
const hex32 = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function formatAlu(insn: Instruction, current: boolean): string {
  const cls = classOf(insn.opcode);
  const r = cls === Class.ALU ? "w" : "r";
  const op = aluOpOf(insn.opcode);
  const head = `(${code2(insn.opcode)})`;
  if (op === AluOp.END) {
    if (cls === Class.ALU64) {
      return current ? `${head} r${insn.dst} = bswap${insn.imm} r${insn.dst}` : `BUG_alu64_${code2(insn.opcode)}`;
    }
    const order = sourceOf(insn.opcode) === Source.X ? "be" : "le";
    return `${head} r${insn.dst} = ${order}${insn.imm} r${insn.dst}`;
  }
  if (op === AluOp.NEG) return `${head} ${r}${insn.dst} = -${r}${insn.dst}`;
  const movX = insn.opcode === (Class.ALU64 | AluOp.MOV | Source.X);
  if (current && movX && insn.off === ADDR_SPACE_CAST_OFF) {
    const imm = insn.imm >>> 0;
    return `${head} r${insn.dst} = addr_space_cast(r${insn.src}, ${imm >>> 16}, ${imm & 0xffff})`;
  }
  if (current && movX && insn.off === ADDR_PERCPU_OFF) {
    return `${head} r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  }
  const signedDivMod = current && (op === AluOp.DIV || op === AluOp.MOD) && insn.off === 1;
  const opText = signedDivMod ? text(SIGNED_ALU_TEXT, op) : text(ALU_TEXT, op);
  if (sourceOf(insn.opcode) === Source.X) {
    const movsx = current && op === AluOp.MOV ? (MOVSX_TEXT[insn.off] ?? "") : "";
    return `${head} ${r}${insn.dst} ${opText} ${movsx}${r}${insn.src}`;
  }
  return `${head} ${r}${insn.dst} ${opText} ${insn.imm}`;
}

function formatStx(insn: Instruction, current: boolean): string {
  const head = `(${code2(insn.opcode)})`;
  const size = sizeOf(insn.opcode);
  const ty = text(SIZE_TEXT, size);
  const mode = modeOf(insn.opcode);
  const mem = `(r${insn.dst} ${signed(insn.off)})`;
  if (mode === Mode.MEM) return `${head} *(${ty} *)${mem} = r${insn.src}`;
  if (mode === Mode.ATOMIC) {
    const imm = insn.imm;
    const w = size === Size.DW ? "64" : "";
    if (imm === AtomicOp.ADD || imm === AtomicOp.AND || imm === AtomicOp.OR || imm === AtomicOp.XOR) {
      return `${head} lock *(${ty} *)${mem} ${text(ALU_TEXT, imm & 0xf0)} r${insn.src}`;
    }
    const base = imm & ~AtomicOp.FETCH;
    if ((imm & AtomicOp.FETCH) !== 0 && ATOMIC_ALU_TEXT[base] !== undefined) {
      return `${head} r${insn.src} = atomic${w}_fetch_${ATOMIC_ALU_TEXT[base]}((${ty} *)${mem}, r${insn.src})`;
    }
    if (imm === AtomicOp.CMPXCHG) return `${head} r0 = atomic${w}_cmpxchg((${ty} *)${mem}, r0, r${insn.src})`;
    if (imm === AtomicOp.XCHG) return `${head} r${insn.src} = atomic${w}_xchg((${ty} *)${mem}, r${insn.src})`;
    if (current && imm === AtomicOp.LOAD_ACQ) {
      return `${head} r${insn.dst} = load_acquire((${ty} *)(r${insn.src} ${signed(insn.off)}))`;
    }
    if (current && imm === AtomicOp.STORE_REL) return `${head} store_release((${ty} *)${mem}, r${insn.src})`;
  }
  return `BUG_${code2(insn.opcode)}`;
}

function formatLoadStore(insn: Instruction, current: boolean): string {
  const head = `(${code2(insn.opcode)})`;
  const cls = classOf(insn.opcode);
  const size = sizeOf(insn.opcode);
  const mode = modeOf(insn.opcode);
  if (cls === Class.ST) {
    if (mode === Mode.MEM)
      return `${head} *(${text(SIZE_TEXT, size)} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`;
    if (mode === NOSPEC_MODE) return `${head} nospec`;
    return `BUG_st_${code2(insn.opcode)}`;
  }
  // LDX
  const sx = current && mode === Mode.MEMSX;
  if (mode !== Mode.MEM && !sx) return `BUG_ldx_${code2(insn.opcode)}`;
  const ty = sx ? text(SIGNED_SIZE_TEXT, size) : text(SIZE_TEXT, size);
  return `${head} r${insn.dst} = *(${ty} *)(r${insn.src} ${signed(insn.off)})`;
}

function formatLd(insn: Instruction, options: FormatOptions, current: boolean): string {
  const head = `(${code2(insn.opcode)})`;
  const size = sizeOf(insn.opcode);
  const mode = modeOf(insn.opcode);
  if (mode === Mode.ABS) return `${head} r0 = *(${text(SIZE_TEXT, size)} *)skb[${insn.imm}]`;
  if (mode === Mode.IND) return `${head} r0 = *(${text(SIZE_TEXT, size)} *)skb[r${insn.src} + ${insn.imm}]`;
  if (mode === Mode.IMM && size === Size.DW) {
    const ptrKinds: number[] = current
      ? [PseudoLd.MAP_FD, PseudoLd.MAP_VALUE, PseudoLd.MAP_IDX, PseudoLd.MAP_IDX_VALUE, PseudoLd.BTF_ID]
      : [PseudoLd.MAP_FD, PseudoLd.MAP_VALUE];
    let value = imm64(insn);
    if (ptrKinds.includes(insn.src) && options.allowPtrLeaks === false) value = 0n;
    const named = options.symbolizer?.imm64;
    return `${head} r${insn.dst} = ${named ? named(insn, value) : `0x${value.toString(16)}`}`;
  }
  return `BUG_ld_${code2(insn.opcode)}`;
}

function callName(insn: Instruction, options: FormatOptions, fallback: string): string {
  const names = options.helperNames ?? HELPER_NAMES;
  if (insn.src === PseudoCall.HELPER && insn.imm >= 0 && insn.imm < names.length && names[insn.imm]) {
    return names[insn.imm]!;
  }
  const named = options.symbolizer?.call?.(insn);
  if (named !== undefined) return named;
  if (insn.src === PseudoCall.CALL) return signed(insn.imm);
  if (insn.src === PseudoCall.KFUNC_CALL) return "kernel-function";
  return fallback;
}

function formatJmp(insn: Instruction, options: FormatOptions, current: boolean): string {
  const head = `(${code2(insn.opcode)})`;
  const cls = classOf(insn.opcode);
  const op = jmpOpOf(insn.opcode);
  if (op === JmpOp.CALL) {
    // disasm.c prints a relative call as "pc" + name; the default name of an unknown target is "unknown".
    if (insn.src === PseudoCall.CALL) return `${head} call pc${callName(insn, options, "")}`;
    return `${head} call ${callName(insn, options, "unknown")}#${insn.imm}`;
  }
  if (insn.opcode === (Class.JMP | JmpOp.JA)) return `${head} goto pc${signed(insn.off)}`;
  if (current) {
    if (insn.opcode === (Class.JMP | JmpOp.JA | Source.X)) return `${head} gotox r${insn.dst}`;
    if (insn.opcode === (Class.JMP | JmpOp.JCOND) && insn.src === MAY_GOTO)
      return `${head} may_goto pc${signed(insn.off)}`;
    if (insn.opcode === (Class.JMP32 | JmpOp.JA)) return `${head} gotol pc${signed(insn.imm)}`;
  }
  if (insn.opcode === (Class.JMP | JmpOp.EXIT)) return `${head} exit`;
  const r = cls === Class.JMP32 ? "w" : "r";
  const opText = text(JMP_TEXT, op);
  if (sourceOf(insn.opcode) === Source.X) {
    return `${head} if ${r}${insn.dst} ${opText} ${r}${insn.src} goto pc${signed(insn.off)}`;
  }
  return `${head} if ${r}${insn.dst} ${opText} ${hex32(insn.imm)} goto pc${signed(insn.off)}`;
}

/** One instruction as disasm.c prints it, without index or newline, e.g. `(b7) r1 = 0`. */
export function formatInstruction(insn: Instruction, options: FormatOptions = {}): string {
  const current = (options.dialect ?? "current") === "current";
  switch (classOf(insn.opcode)) {
    case Class.ALU:
    case Class.ALU64:
      return formatAlu(insn, current);
    case Class.STX:
      return formatStx(insn, current);
    case Class.ST:
    case Class.LDX:
      return formatLoadStore(insn, current);
    case Class.LD:
      return formatLd(insn, options, current);
    case Class.JMP:
    case Class.JMP32:
      return formatJmp(insn, options, current);
  }
  return `(${code2(insn.opcode)}) ${CLASS_TEXT[classOf(insn.opcode)]}`;
}
