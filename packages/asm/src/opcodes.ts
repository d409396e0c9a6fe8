// Opcode field values of the eBPF instruction set (kernel Documentation/bpf/standardization/instruction-set.rst,
// include/uapi/linux/bpf.h, bpf_common.h). The opcode byte is split into fields that depend on the class:
//   ALU/ALU64/JMP/JMP32: op (bits 4-7) | source (bit 3) | class (bits 0-2)
//   LD/LDX/ST/STX:       mode (bits 5-7) | size (bits 3-4) | class (bits 0-2)
// Values newer than the 6.1 UAPI header on this machine (MEMSX, JCOND, load-acquire ...) are spelled out here.

/** Instruction class (low 3 bits of the opcode). */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
export type Class = (typeof Class)[keyof typeof Class];

/** Operand source bit of ALU and jump opcodes; for END it selects to-LE (K) or to-BE (X). */
export const Source = { K: 0x00, X: 0x08 } as const;
export type Source = (typeof Source)[keyof typeof Source];

/** ALU operation (bits 4-7). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export type AluOp = (typeof AluOp)[keyof typeof AluOp];

/** Jump operation (bits 4-7). JCOND is the kernel's `may_goto` (src_reg 0). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  JCOND: 0xe0,
} as const;
export type JmpOp = (typeof JmpOp)[keyof typeof JmpOp];

/** Access size of load/store opcodes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type Size = (typeof Size)[keyof typeof Size];

/** Byte width of each access size. */
export function sizeBytes(size: Size): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    case Size.DW:
      return 8;
  }
}

/** Mode of load/store opcodes (bits 5-7). NOSPEC (in the ST class) is kernel-internal. */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** `BPF_ST | BPF_NOSPEC`: a speculation barrier the verifier inserts; never in object files. */
export const NOSPEC_MODE = 0xc0;

/** Atomic operation, stored in the imm field of `STX | ATOMIC`. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
  LOAD_ACQ: 0x100,
  STORE_REL: 0x110,
} as const;

/** src_reg values of the first half of an ld_imm64 (BPF_PSEUDO_*). */
export const PseudoLd = {
  NONE: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** src_reg values of a call instruction. */
export const PseudoCall = { HELPER: 0, CALL: 1, KFUNC_CALL: 2 } as const;

/** src_reg of JMP|JCOND meaning `may_goto`. */
export const MAY_GOTO = 0;

/** off value of `ALU64 | MOV | X` that makes it an arena address space cast. */
export const ADDR_SPACE_CAST_OFF = 1;
/** off value of `ALU64 | MOV | X` the verifier uses internally to add the per-CPU base offset. */
export const ADDR_PERCPU_OFF = -1;

/** Opcode of the first half of a 64-bit immediate load: `LD | IMM | DW`. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

export const classOf = (opcode: number): Class => (opcode & 0x07) as Class;
export const aluOpOf = (opcode: number): AluOp => (opcode & 0xf0) as AluOp;
export const jmpOpOf = (opcode: number): JmpOp => (opcode & 0xf0) as JmpOp;
export const sourceOf = (opcode: number): Source => (opcode & 0x08) as Source;
export const sizeOf = (opcode: number): Size => (opcode & 0x18) as Size;
export const modeOf = (opcode: number): number => opcode & 0xe0;

/** Number of general-purpose registers r0..r10. The kernel uses r11 (AX) internally for constant blinding. */
export const MAX_REGISTER = 10;
