// A small builder DSL so tests and backends can write programs without clang, e.g.
//   [mov64Imm(R0, 0), ldMapFd(R1, fd), call(HelperId.map_lookup_elem), exit()]
// Every builder returns a plain Instruction; jump offsets are in slots, relative to the next instruction.
import { type Instruction, type Register, splitImm64 } from "./instruction.js";
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LD_IMM64,
  MAY_GOTO,
  Mode,
  PseudoCall,
  PseudoLd,
  type Size,
  Source,
} from "./opcodes.js";

const insn = (opcode: number, dst: Register, src: Register, off: number, imm: number): Instruction => ({
  opcode,
  dst,
  src,
  off,
  imm,
});

// ALU ------------------------------------------------------------------------------------------------------------

/** `dst op= imm` on 64 bits. `off` selects variants: 1 = signed DIV/MOD. */
export const alu64Imm = (op: AluOp, dst: Register, imm: number, off = 0) =>
  insn(Class.ALU64 | op | Source.K, dst, 0, off, imm);
/** `dst op= src` on 64 bits. `off` selects variants: 1 = signed DIV/MOD, 8/16/32 = sign-extending MOV. */
export const alu64Reg = (op: AluOp, dst: Register, src: Register, off = 0) =>
  insn(Class.ALU64 | op | Source.X, dst, src, off, 0);
/** `wdst op= imm` on 32 bits (the upper half of dst is zeroed). */
export const alu32Imm = (op: AluOp, dst: Register, imm: number, off = 0) =>
  insn(Class.ALU | op | Source.K, dst, 0, off, imm);
/** `wdst op= wsrc` on 32 bits. */
export const alu32Reg = (op: AluOp, dst: Register, src: Register, off = 0) =>
  insn(Class.ALU | op | Source.X, dst, src, off, 0);

export const mov64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.MOV, dst, imm);
export const mov64Reg = (dst: Register, src: Register) => alu64Reg(AluOp.MOV, dst, src);
export const mov32Imm = (dst: Register, imm: number) => alu32Imm(AluOp.MOV, dst, imm);
export const mov32Reg = (dst: Register, src: Register) => alu32Reg(AluOp.MOV, dst, src);
export const add64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.ADD, dst, imm);
export const add64Reg = (dst: Register, src: Register) => alu64Reg(AluOp.ADD, dst, src);
export const sub64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.SUB, dst, imm);
export const and64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.AND, dst, imm);
export const lsh64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.LSH, dst, imm);
export const rsh64Imm = (dst: Register, imm: number) => alu64Imm(AluOp.RSH, dst, imm);
export const neg64 = (dst: Register) => alu64Imm(AluOp.NEG, dst, 0);
export const neg32 = (dst: Register) => alu32Imm(AluOp.NEG, dst, 0);
/** Sign-extending move `dst = (sN)src` on 64 bits (ISA v4). */
export const movsx64 = (dst: Register, src: Register, bits: 8 | 16 | 32) => alu64Reg(AluOp.MOV, dst, src, bits);
/** Sign-extending move `wdst = (sN)wsrc` on 32 bits (ISA v4). */
export const movsx32 = (dst: Register, src: Register, bits: 8 | 16) => alu32Reg(AluOp.MOV, dst, src, bits);
/** Convert dst to big-endian (`be16/32/64`). */
export const toBe = (dst: Register, bits: 16 | 32 | 64) => insn(Class.ALU | AluOp.END | Source.X, dst, 0, 0, bits);
/** Convert dst to little-endian (`le16/32/64`). */
export const toLe = (dst: Register, bits: 16 | 32 | 64) => insn(Class.ALU | AluOp.END | Source.K, dst, 0, 0, bits);
/** Unconditional byte swap (ISA v4). */
export const bswap = (dst: Register, bits: 16 | 32 | 64) => insn(Class.ALU64 | AluOp.END | Source.K, dst, 0, 0, bits);

// 64-bit immediate loads -----------------------------------------------------------------------------------------

const ldImm64Pseudo = (dst: Register, src: number, imm: number, immHi: number): Instruction => ({
  opcode: LD_IMM64,
  dst,
  src,
  off: 0,
  imm,
  immHi,
});

/** `dst = value` for any 64-bit value (signed or unsigned). */
export const ldImm64 = (dst: Register, value: bigint): Instruction => {
  const { imm, immHi } = splitImm64(value);
  return ldImm64Pseudo(dst, PseudoLd.NONE, imm, immHi);
};
/** `dst = map` by file descriptor (BPF_PSEUDO_MAP_FD). */
export const ldMapFd = (dst: Register, fd: number) => ldImm64Pseudo(dst, PseudoLd.MAP_FD, fd, 0);
/** `dst = &map value + offset` (BPF_PSEUDO_MAP_VALUE, e.g. global data). */
export const ldMapValue = (dst: Register, fd: number, offset = 0) => ldImm64Pseudo(dst, PseudoLd.MAP_VALUE, fd, offset);
/** `dst = map` by index into the fd_array (BPF_PSEUDO_MAP_IDX). */
export const ldMapIdx = (dst: Register, index: number) => ldImm64Pseudo(dst, PseudoLd.MAP_IDX, index, 0);
/** `dst = &map value + offset` by fd_array index (BPF_PSEUDO_MAP_IDX_VALUE). */
export const ldMapIdxValue = (dst: Register, index: number, offset = 0) =>
  ldImm64Pseudo(dst, PseudoLd.MAP_IDX_VALUE, index, offset);
/** `dst = &kernel variable` by BTF id (BPF_PSEUDO_BTF_ID); `btfFd` selects module BTF (0 = vmlinux). */
export const ldBtfId = (dst: Register, btfId: number, btfFd = 0) => ldImm64Pseudo(dst, PseudoLd.BTF_ID, btfId, btfFd);
/** `dst = &subprogram` (BPF_PSEUDO_FUNC), imm = slot offset relative to the next instruction. */
export const ldFunc = (dst: Register, relative: number) => ldImm64Pseudo(dst, PseudoLd.FUNC, relative, 0);

// Loads and stores -------------------------------------------------------------------------------------------------

/** Legacy packet load `r0 = *(size *)skb[imm]`. */
export const ldAbs = (size: Size, imm: number) => insn(Class.LD | Mode.ABS | size, 0, 0, 0, imm);
/** Legacy packet load `r0 = *(size *)skb[src + imm]`. */
export const ldInd = (size: Size, src: Register, imm: number) => insn(Class.LD | Mode.IND | size, 0, src, 0, imm);
/** `dst = *(size *)(src + off)`. */
export const ldxMem = (size: Size, dst: Register, src: Register, off: number) =>
  insn(Class.LDX | Mode.MEM | size, dst, src, off, 0);
/** Sign-extending load `dst = *(sN *)(src + off)` (ISA v4; size B, H or W). */
export const ldxMemsx = (size: Size, dst: Register, src: Register, off: number) =>
  insn(Class.LDX | Mode.MEMSX | size, dst, src, off, 0);
/** `*(size *)(dst + off) = imm`. */
export const stMem = (size: Size, dst: Register, off: number, imm: number) =>
  insn(Class.ST | Mode.MEM | size, dst, 0, off, imm);
/** `*(size *)(dst + off) = src`. */
export const stxMem = (size: Size, dst: Register, src: Register, off: number) =>
  insn(Class.STX | Mode.MEM | size, dst, src, off, 0);
/** Atomic operation on `*(size *)(dst + off)`; `op` is an AtomicOp value (possibly `| AtomicOp.FETCH`). */
export const atomic = (size: Size, op: number, dst: Register, src: Register, off: number) =>
  insn(Class.STX | Mode.ATOMIC | size, dst, src, off, op);
/** `lock *(size *)(dst + off) += src`, or with fetch `src = atomic_fetch_add(...)`. */
export const atomicAdd = (size: Size, dst: Register, src: Register, off: number, fetch = false) =>
  atomic(size, AtomicOp.ADD | (fetch ? AtomicOp.FETCH : 0), dst, src, off);
export const atomicXchg = (size: Size, dst: Register, src: Register, off: number) =>
  atomic(size, AtomicOp.XCHG, dst, src, off);
/** `r0 = cmpxchg(dst + off, r0, src)`. */
export const atomicCmpxchg = (size: Size, dst: Register, src: Register, off: number) =>
  atomic(size, AtomicOp.CMPXCHG, dst, src, off);
/** `dst = load_acquire(src + off)`. */
export const loadAcquire = (size: Size, dst: Register, src: Register, off: number) =>
  atomic(size, AtomicOp.LOAD_ACQ, dst, src, off);
/** `store_release(dst + off, src)`. */
export const storeRelease = (size: Size, dst: Register, src: Register, off: number) =>
  atomic(size, AtomicOp.STORE_REL, dst, src, off);

// Jumps and calls ------------------------------------------------------------------------------------------------

/** `if dst op imm goto pc+off` (64-bit compare). */
export const jmpImm = (op: JmpOp, dst: Register, imm: number, off: number) =>
  insn(Class.JMP | op | Source.K, dst, 0, off, imm);
/** `if dst op src goto pc+off` (64-bit compare). */
export const jmpReg = (op: JmpOp, dst: Register, src: Register, off: number) =>
  insn(Class.JMP | op | Source.X, dst, src, off, 0);
/** `if wdst op imm goto pc+off` (32-bit compare). */
export const jmp32Imm = (op: JmpOp, dst: Register, imm: number, off: number) =>
  insn(Class.JMP32 | op | Source.K, dst, 0, off, imm);
/** `if wdst op wsrc goto pc+off` (32-bit compare). */
export const jmp32Reg = (op: JmpOp, dst: Register, src: Register, off: number) =>
  insn(Class.JMP32 | op | Source.X, dst, src, off, 0);
/** `goto pc+off`. */
export const ja = (off: number) => insn(Class.JMP | JmpOp.JA, 0, 0, off, 0);
/** `gotol pc+imm`: jump with a 32-bit offset (ISA v4). */
export const gotol = (imm: number) => insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, imm);
/** `may_goto pc+off` (kernel 6.9+ bounded-loop helper). */
export const mayGoto = (off: number) => insn(Class.JMP | JmpOp.JCOND, 0, MAY_GOTO, off, 0);
/** Call a helper by id, e.g. `call(HelperId.map_lookup_elem)`. */
export const call = (helperId: number) => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, helperId);
/** bpf-to-bpf call; `relative` is the callee's slot offset from the next instruction. */
export const callSubprog = (relative: number) => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, relative);
/** kfunc call by BTF id; `fdIndex` is the fd_array slot of the module BTF (0 = vmlinux). */
export const callKfunc = (btfId: number, fdIndex = 0) =>
  insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC_CALL, fdIndex, btfId);
export const exit = () => insn(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0);

// Metadata ---------------------------------------------------------------------------------------------------------

/** Copy with a label (e.g. function name) attached. */
export const withSymbol = (i: Instruction, symbol: string): Instruction => ({ ...i, symbol });
/** Copy with a symbolic reference (map, subprogram, extern) for the loader to resolve. */
export const withReference = (i: Instruction, reference: string): Instruction => ({ ...i, reference });
