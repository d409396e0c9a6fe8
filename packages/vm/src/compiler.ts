// The second engine: each checked program becomes a WebAssembly module, written here byte by byte, and runs on
// the host's WebAssembly engine. One wasm function per BPF subprogram (r1-r5, r10 and the call depth as
// parameters, r0 as the result, r6-r9 as its own locals, so callee-saved registers need no spilling); registers
// are i64 locals; basic blocks are the arms of a br_table dispatch loop, straight-line code inside them. Memory is
// VmMemory's WebAssembly memory: every access goes through a bounds check against a cached region (two globals
// per direction), and a miss asks VmMemory.translate, the interpreter's own check, which also refills the cache.
// Helpers, faults and the legacy packet loads are imports. The instruction budget is counted per basic block.
// Results equal the interpreter's on every test (test/vm-conformance.test.ts holds the two to that).

import { HelperId } from "@bpfkit/asm";
import { VmError } from "./errors.js";
import { MAP_HANDLE } from "./helpers/registers.js";
import {
  type Callbacks,
  checkCallback,
  type Helper,
  MAX_TAIL_CALLS,
  type Registers,
  type RunOptions,
  type RunResult,
  TAIL_CALL_HELPER,
} from "./interpreter.js";
import { BASE, type VmMemory } from "./memory.js";
import {
  ALU_ADD,
  ALU_AND,
  ALU_ARSH,
  ALU_DIV,
  ALU_END,
  ALU_LSH,
  ALU_MOD,
  ALU_MOV,
  ALU_MUL,
  ALU_NEG,
  ALU_OR,
  ALU_RSH,
  ALU_SUB,
  ALU_XOR,
  ATOMIC_CMPXCHG,
  ATOMIC_FETCH,
  ATOMIC_XCHG,
  CALL_LOCAL,
  CLS_ALU,
  CLS_ALU64,
  CLS_JMP,
  CLS_JMP32,
  CLS_LD,
  CLS_LDX,
  CLS_ST,
  CLS_STX,
  JMP_CALL,
  JMP_EXIT,
  JMP_JA,
  JMP_JEQ,
  JMP_JGE,
  JMP_JGT,
  JMP_JLE,
  JMP_JLT,
  JMP_JNE,
  JMP_JSET,
  JMP_JSGE,
  JMP_JSGT,
  JMP_JSLE,
  JMP_JSLT,
  LD_IMM64,
  MAX_CALL_FRAMES,
  MODE_ATOMIC,
  MODE_IND,
  MODE_MEMSX,
  SIZE_B,
  SIZE_H,
  SIZE_W,
  SRC_X,
  STACK_SIZE,
  sizeBytes,
} from "./opcodes.js";
import { type ArrayLayout, type Program, subprogramStarts } from "./program.js";
import { wasm } from "./wasm/api.js";
import { CodeWriter, I32, I64, Op, section, VOID_BLOCK } from "./wasm/encoder.js";

// Imported functions, then the two address checkers, then one function per subprogram.
const F_TRANSLATE = 0;
const F_HELPER = 1;
const F_FAULT = 2;
const F_PACKET = 3;
const F_TAIL_CALL = 4;
const F_ADDR_READ = 5;
const F_ADDR_WRITE = 6;
const F_FIRST_SUBPROGRAM = 7;

// Imported globals.
const G_STEPS = 0;
const G_BUDGET = 1;
const G_SCRATCH = 2;
const G_FRAMES = 3;
const G_PACKET_FAILED = 4;
const G_REGIONS = 5;
const G_HELPER_HIGH = 6;
const G_TAIL_RESULT = 7;
const G_SITES = 8;

const FAULT_BUDGET = 1;
const FAULT_CALL_DEPTH = 2;

// Locals of a subprogram function: parameters r1-r5 (0-4), r10 (5), depth (6); then r0, r6-r9, pc, two i64
// temporaries and an i32 temporary.
const L_DEPTH = 6;
const L_PC = 12;
const L_T1 = 13;
const L_T2 = 14;
const L_I = 15;
const REG_LOCAL = [7, 0, 1, 2, 3, 4, 8, 9, 10, 11, 5];

/** A program compiled to WebAssembly; `run` takes the interpreter's options and gives its results. */
export interface CompiledProgram {
  readonly bytes: Uint8Array;
  run(options: RunOptions): RunResult;
}

interface Block {
  start: number;
  end: number;
}

/** Basic blocks of [from, to): starts at the entry, at jump targets and after jumps. */
function blocksOf(p: Program, from: number, to: number): Block[] {
  const leaders = new Set<number>([from]);
  for (let i = from; i < to; i++) {
    const code = p.code[i]!;
    const cls = code & 0x07;
    if (code === LD_IMM64) {
      i++;
      continue;
    }
    if (cls !== CLS_JMP && cls !== CLS_JMP32) continue;
    const op = code & 0xf0;
    if (op === JMP_CALL) continue;
    if (op !== JMP_EXIT) leaders.add(i + (op === JMP_JA && cls === CLS_JMP32 ? p.imm[i]! : p.off[i]!) + 1);
    if (i + 1 < to) leaders.add(i + 1);
  }
  const starts = [...leaders].filter((s) => s >= from && s < to).sort((a, b) => a - b);
  return starts.map((start, k) => ({ start, end: starts[k + 1] ?? to }));
}

class FunctionWriter {
  readonly w = new CodeWriter();
  /** Nesting depth of structured blocks opened inside the current basic block (if/else). */
  nested = 0;

  op(o: number): this {
    this.w.byte(o);
    return this;
  }
  i32(v: number): this {
    this.w.byte(Op.i32_const).s32(v);
    return this;
  }
  i64(v: bigint | number): this {
    this.w.byte(Op.i64_const).s64(BigInt(v));
    return this;
  }
  get(local: number): this {
    this.w.byte(Op.local_get).u32(local);
    return this;
  }
  set(local: number): this {
    this.w.byte(Op.local_set).u32(local);
    return this;
  }
  tee(local: number): this {
    this.w.byte(Op.local_tee).u32(local);
    return this;
  }
  reg(r: number): this {
    return this.get(REG_LOCAL[r]!);
  }
  setReg(r: number): this {
    return this.set(REG_LOCAL[r]!);
  }
  call(f: number): this {
    this.w.byte(Op.call).u32(f);
    return this;
  }
  global(g: number): this {
    this.w.byte(Op.global_get).u32(g);
    return this;
  }
  setGlobal(g: number): this {
    this.w.byte(Op.global_set).u32(g);
    return this;
  }
  mem(o: number, align = 0): this {
    this.w.byte(o).u32(align).u32(0);
    return this;
  }
  ifStart(type: number = VOID_BLOCK): this {
    this.w.byte(Op.if).byte(type);
    this.nested++;
    return this;
  }
  else(): this {
    this.w.byte(Op.else);
    return this;
  }
  end(): this {
    this.w.byte(Op.end);
    this.nested--;
    return this;
  }
}

/** Byte swap of the low `bits` of the i64 on the stack (result zero-extended). */
function bswap(f: FunctionWriter, bits: number): void {
  f.set(L_T1);
  const bytes = bits / 8;
  f.i64(0).set(L_T2);
  for (let k = 0; k < bytes; k++) {
    // byte k of the input goes to byte (bytes - 1 - k) of the output
    f.get(L_T1)
      .i64(8 * k)
      .op(Op.i64_shr_u)
      .i64(0xff)
      .op(Op.i64_and);
    f.i64(8 * (bytes - 1 - k))
      .op(Op.i64_shl)
      .get(L_T2)
      .op(Op.i64_or)
      .set(L_T2);
  }
  f.get(L_T2);
}

/** Numbers the memory-access instructions of a module: each has its own cached region (see address()). */
interface Sites {
  count: number;
}

function compileSubprogram(
  p: Program,
  from: number,
  to: number,
  functionOf: Map<number, number>,
  sites: Sites,
): CodeWriter {
  const f = new FunctionWriter();
  const blocks = blocksOf(p, from, to);
  const blockOf = new Map(blocks.map((b, k) => [b.start, k]));
  const n = blocks.length;
  f.w.byte(Op.loop).byte(VOID_BLOCK);
  for (let k = 0; k < n; k++) f.w.byte(Op.block).byte(VOID_BLOCK);
  f.get(L_PC).w.byte(Op.br_table).u32(n);
  for (let k = 0; k < n; k++) f.w.u32(k);
  f.w.u32(0);
  blocks.forEach((block, k) => {
    f.w.byte(Op.end); // closes the block whose label dispatches here
    // Jumps: set pc to the block's index, then branch to the loop (n - 1 - k labels out, plus open ifs).
    const jump = (target: number) => {
      f.i32(blockOf.get(target)!).set(L_PC);
      f.w.byte(Op.br).u32(n - 1 - k + f.nested);
    };
    let count = 0;
    for (let i = block.start; i < block.end; i++) {
      count++;
      if (p.code[i] === LD_IMM64) i++;
    }
    f.global(G_STEPS).i64(count).op(Op.i64_add).setGlobal(G_STEPS);
    f.global(G_STEPS).global(G_BUDGET).op(Op.i64_gt_u).ifStart();
    f.i32(FAULT_BUDGET).i32(block.start).call(F_FAULT).end();
    let r1: bigint | undefined;
    for (let i = block.start; i < block.end; i++) {
      const consumed = instruction(f, p, i, jump, functionOf, r1, sites);
      r1 = r1After(p, i, r1);
      i += consumed - 1;
    }
    const last = lastInstruction(p, block);
    const lastOp = p.code[last]! & 0xf0;
    const lastCls = p.code[last]! & 0x07;
    const endsFlow = (lastCls === CLS_JMP || lastCls === CLS_JMP32) && (lastOp === JMP_EXIT || lastOp === JMP_JA);
    // Falling through to the next block needs nothing: its code follows the next `end`.
    if (!endsFlow && k === n - 1) f.op(Op.unreachable);
  });
  f.w.byte(Op.end); // loop
  f.op(Op.unreachable);
  f.w.byte(Op.end); // function
  const body = new CodeWriter();
  body.u32(4).u32(5).byte(I64).u32(1).byte(I32).u32(2).byte(I64).u32(1).byte(I32);
  body.bytes(f.w.view());
  return body;
}

function lastInstruction(p: Program, block: Block): number {
  let last = block.start;
  for (let i = block.start; i < block.end; i++) {
    last = i;
    if (p.code[i] === LD_IMM64) i++;
  }
  return last;
}

/**
 * The value r1 holds after instruction i when it is a constant loaded in the same basic block (a map reference
 * before a map helper call), given the constant before it; undefined when unknown.
 */
function r1After(p: Program, i: number, before: bigint | undefined): bigint | undefined {
  const code = p.code[i]!;
  const cls = code & 0x07;
  if (code === LD_IMM64) {
    return p.dst[i] === 1 ? (BigInt(p.imm[i + 1]! >>> 0) << 32n) | BigInt(p.imm[i]! >>> 0) : before;
  }
  switch (cls) {
    case CLS_ALU:
    case CLS_ALU64:
    case CLS_LDX:
      return p.dst[i] === 1 ? undefined : before;
    case CLS_LD: // legacy packet loads clobber r1-r5
      return undefined;
    case CLS_STX:
      return (code & 0xe0) === MODE_ATOMIC && p.src[i] === 1 ? undefined : before;
    case CLS_JMP:
    case CLS_JMP32:
      return (code & 0xf0) === JMP_CALL ? undefined : before;
    default:
      return before;
  }
}

/**
 * Pushes the buffer index of an access of `size` bytes at reg + off, checked. An access through r10 (read-only,
 * always the top of the running frame's 512 bytes) that stays inside the frame needs no check, as the kernel's
 * verifier proves such accesses statically. Any other access site has its own cache entry, (start, end) of the
 * region it last hit, in VmMemory (regions never move or shrink, so an entry never goes stale): a hit is two
 * loads and two compares; a miss calls the checker, which finds the region and refills the entry.
 */
function address(f: FunctionWriter, reg: number, off: number, size: number, i: number, write: boolean, sites: Sites) {
  if (reg === 10 && off >= -STACK_SIZE && off + size <= 0) {
    f.reg(10)
      .op(Op.i32_wrap_i64)
      .i32(off - BASE)
      .op(Op.i32_add);
    return;
  }
  const site = sites.count++;
  const entry = (field: number) =>
    f
      .global(G_SITES)
      .w.byte(Op.i64_load32_u)
      .u32(2)
      .u32(8 * site + 4 * field);
  f.reg(reg).i64(off).op(Op.i64_add).tee(L_T2);
  entry(0);
  f.op(Op.i64_ge_u).get(L_T2);
  entry(1);
  f.i64(size).op(Op.i64_sub).op(Op.i64_le_u).op(Op.i32_and);
  f.ifStart(I32).get(L_T2).i64(BASE).op(Op.i64_sub).op(Op.i32_wrap_i64);
  f.else()
    .get(L_T2)
    .i32(size)
    .i32(i)
    .i32(site)
    .call(write ? F_ADDR_WRITE : F_ADDR_READ)
    .end();
}

/** r0 = bpf_map_lookup_elem(array, r2) without leaving WebAssembly: the key checked and read, then its address. */
function inlineArrayLookup(f: FunctionWriter, map: ArrayLayout, i: number, sites: Sites): void {
  address(f, 2, 0, 4, i, false, sites);
  f.mem(Op.i64_load32_u).set(L_T1);
  f.get(L_T1).i64(map.elementSize).op(Op.i64_mul).i64(map.start).op(Op.i64_add);
  f.i64(0);
  f.get(L_T1).i64(map.maxEntries).op(Op.i64_lt_u).op(Op.select).setReg(0);
}

/** Emits instruction i; returns how many slots it used (2 for LD_IMM64). `r1` is r1's known constant. */
function instruction(
  f: FunctionWriter,
  p: Program,
  i: number,
  jump: (target: number) => void,
  functionOf: Map<number, number>,
  r1: bigint | undefined,
  sites: Sites,
): number {
  const code = p.code[i]!;
  const d = p.dst[i]!;
  const s = p.src[i]!;
  const off = p.off[i]!;
  const imm = p.imm[i]!;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const x = (code & SRC_X) !== 0;
  switch (cls) {
    case CLS_ALU64: {
      const b = () => (x ? f.reg(s) : f.i64(imm));
      switch (op) {
        case ALU_MOV:
          b();
          if (off === 8) f.op(Op.i64_extend8_s);
          else if (off === 16) f.op(Op.i64_extend16_s);
          else if (off === 32) f.op(Op.i64_extend32_s);
          break;
        case ALU_NEG:
          f.i64(0).reg(d).op(Op.i64_sub);
          break;
        case ALU_END:
          f.reg(d);
          bswap(f, imm);
          break;
        case ALU_DIV:
        case ALU_MOD: {
          const isDiv = op === ALU_DIV;
          b().set(L_T1);
          f.get(L_T1).op(Op.i64_eqz).ifStart(I64);
          if (isDiv) f.i64(0);
          else f.reg(d);
          f.else();
          if (off === 1 && isDiv) {
            // INT64_MIN / -1 traps in WebAssembly; the ISA wraps it (negation).
            f.get(L_T1).i64(-1).op(Op.i64_eq).ifStart(I64).i64(0).reg(d).op(Op.i64_sub).else();
            f.reg(d).get(L_T1).op(Op.i64_div_s).end();
          } else {
            f.reg(d)
              .get(L_T1)
              .op(isDiv ? Op.i64_div_u : off === 1 ? Op.i64_rem_s : Op.i64_rem_u);
          }
          f.end();
          break;
        }
        default: {
          const wasmOp = {
            [ALU_ADD]: Op.i64_add,
            [ALU_SUB]: Op.i64_sub,
            [ALU_MUL]: Op.i64_mul,
            [ALU_OR]: Op.i64_or,
            [ALU_AND]: Op.i64_and,
            [ALU_XOR]: Op.i64_xor,
            [ALU_LSH]: Op.i64_shl,
            [ALU_RSH]: Op.i64_shr_u,
            [ALU_ARSH]: Op.i64_shr_s,
          }[op]!;
          f.reg(d);
          b();
          f.op(wasmOp);
        }
      }
      f.setReg(d);
      return 1;
    }
    case CLS_ALU: {
      const a = () => f.reg(d).op(Op.i32_wrap_i64);
      const b = () => (x ? f.reg(s).op(Op.i32_wrap_i64) : f.i32(imm));
      switch (op) {
        case ALU_MOV:
          b();
          if (off === 8) f.op(Op.i32_extend8_s);
          else if (off === 16) f.op(Op.i32_extend16_s);
          f.op(Op.i64_extend_i32_u);
          break;
        case ALU_NEG:
          f.i32(0);
          a();
          f.op(Op.i32_sub).op(Op.i64_extend_i32_u);
          break;
        case ALU_END:
          f.reg(d);
          if (x) bswap(f, imm);
          else if (imm === 16) f.i64(0xffff).op(Op.i64_and);
          else if (imm === 32) f.i64(0xffffffff).op(Op.i64_and);
          break;
        case ALU_DIV:
        case ALU_MOD: {
          const isDiv = op === ALU_DIV;
          b();
          f.set(L_I);
          f.get(L_I).op(Op.i32_eqz).ifStart(I32);
          if (isDiv) f.i32(0);
          else a();
          f.else();
          if (off === 1 && isDiv) {
            f.get(L_I).i32(-1).op(Op.i32_eq).ifStart(I32).i32(0);
            a();
            f.op(Op.i32_sub).else();
            a();
            f.get(L_I).op(Op.i32_div_s).end();
          } else {
            a();
            f.get(L_I).op(isDiv ? Op.i32_div_u : off === 1 ? Op.i32_rem_s : Op.i32_rem_u);
          }
          f.end().op(Op.i64_extend_i32_u);
          break;
        }
        default: {
          const wasmOp = {
            [ALU_ADD]: Op.i32_add,
            [ALU_SUB]: Op.i32_sub,
            [ALU_MUL]: Op.i32_mul,
            [ALU_OR]: Op.i32_or,
            [ALU_AND]: Op.i32_and,
            [ALU_XOR]: Op.i32_xor,
            [ALU_LSH]: Op.i32_shl,
            [ALU_RSH]: Op.i32_shr_u,
            [ALU_ARSH]: Op.i32_shr_s,
          }[op]!;
          a();
          b();
          f.op(wasmOp).op(Op.i64_extend_i32_u);
        }
      }
      f.setReg(d);
      return 1;
    }
    case CLS_JMP:
    case CLS_JMP32: {
      if (op === JMP_JA) {
        jump(i + (cls === CLS_JMP ? off : imm) + 1);
        return 1;
      }
      if (op === JMP_EXIT) {
        f.reg(0).op(Op.return);
        return 1;
      }
      if (op === JMP_CALL) {
        if (s === CALL_LOCAL) {
          f.get(L_DEPTH).i32(1).op(Op.i32_add).i32(MAX_CALL_FRAMES).op(Op.i32_ge_u).ifStart();
          f.i32(FAULT_CALL_DEPTH).i32(i).call(F_FAULT).end();
          for (let r = 1; r <= 5; r++) f.reg(r);
          f.global(G_FRAMES).get(L_DEPTH).i32(1).op(Op.i32_add).i32(3).op(Op.i32_shl).op(Op.i32_add).mem(Op.i64_load);
          f.get(L_DEPTH).i32(1).op(Op.i32_add);
          f.call(functionOf.get(i + imm + 1)!).setReg(0);
        } else {
          const array =
            r1 !== undefined && r1 >> 32n === BigInt(MAP_HANDLE)
              ? p.arrayMaps?.get(Number(r1 & 0xffffffffn))
              : undefined;
          if (imm === HelperId.map_lookup_elem && array) {
            inlineArrayLookup(f, array, i, sites);
            return 1;
          }
          for (let r = 1; r <= 5; r++)
            f.global(G_SCRATCH)
              .reg(r)
              .w.byte(Op.i64_store)
              .u32(0)
              .u32(8 * r);
          if (imm === TAIL_CALL_HELPER) {
            // A tail call that happened ran the callee to its exit: its r0 is this function's result.
            f.i32(i).get(L_DEPTH).call(F_TAIL_CALL).ifStart().global(G_TAIL_RESULT).op(Op.return).end();
            return 1;
          }
          // The result comes back as two halves: no BigInt crosses the boundary.
          f.i32(imm).i32(i).get(L_DEPTH).call(F_HELPER).op(Op.i64_extend_i32_u);
          f.global(G_HELPER_HIGH).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).op(Op.i64_or).setReg(0);
        }
        return 1;
      }
      const wide = cls === CLS_JMP;
      const operand = (r: number | undefined) => {
        if (r === undefined) wide ? f.i64(imm) : f.i32(imm);
        else {
          f.reg(r);
          if (!wide) f.op(Op.i32_wrap_i64);
        }
      };
      operand(d);
      operand(x ? s : undefined);
      const cmp: Record<number, [number, number]> = {
        [JMP_JEQ]: [Op.i64_eq, Op.i32_eq],
        [JMP_JNE]: [Op.i64_ne, Op.i32_ne],
        [JMP_JGT]: [Op.i64_gt_u, Op.i32_gt_u],
        [JMP_JGE]: [Op.i64_ge_u, Op.i32_ge_u],
        [JMP_JLT]: [Op.i64_lt_u, Op.i32_lt_u],
        [JMP_JLE]: [Op.i64_le_u, Op.i32_le_u],
        [JMP_JSGT]: [Op.i64_gt_s, Op.i32_gt_s],
        [JMP_JSGE]: [Op.i64_ge_s, Op.i32_ge_s],
        [JMP_JSLT]: [Op.i64_lt_s, Op.i32_lt_s],
        [JMP_JSLE]: [Op.i64_le_s, Op.i32_le_s],
      };
      if (op === JMP_JSET) {
        if (wide) f.op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
        else f.op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz);
      } else {
        f.op(cmp[op]![wide ? 0 : 1]);
      }
      f.ifStart();
      jump(i + off + 1);
      f.end();
      return 1;
    }
    case CLS_LDX: {
      address(f, s, off, sizeBytes(code), i, false, sites);
      const signed = (code & 0xe0) === MODE_MEMSX;
      switch (code & 0x18) {
        case SIZE_B:
          f.mem(signed ? Op.i64_load8_s : Op.i64_load8_u);
          break;
        case SIZE_H:
          f.mem(signed ? Op.i64_load16_s : Op.i64_load16_u);
          break;
        case SIZE_W:
          f.mem(signed ? Op.i64_load32_s : Op.i64_load32_u);
          break;
        default:
          f.mem(Op.i64_load);
      }
      f.setReg(d);
      return 1;
    }
    case CLS_ST:
    case CLS_STX: {
      const size = sizeBytes(code);
      address(f, d, off, size, i, true, sites);
      const load = size === 8 ? Op.i64_load : Op.i64_load32_u;
      const store = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store }[size]!;
      if (cls === CLS_STX && (code & 0xe0) === MODE_ATOMIC) {
        f.set(L_I);
        f.get(L_I).mem(load).set(L_T1); // old value
        if (imm === ATOMIC_CMPXCHG) {
          const r0Low = () => (size === 8 ? f.reg(0) : f.reg(0).i64(0xffffffff).op(Op.i64_and));
          f.get(L_T1);
          r0Low();
          f.op(Op.i64_eq).ifStart().get(L_I).reg(s).mem(store).end();
          f.get(L_T1).setReg(0);
          return 1;
        }
        f.get(L_I);
        if (imm === ATOMIC_XCHG) f.reg(s);
        else {
          const wasmOp = { [ALU_ADD]: Op.i64_add, [ALU_OR]: Op.i64_or, [ALU_AND]: Op.i64_and, [ALU_XOR]: Op.i64_xor }[
            imm & ~ATOMIC_FETCH
          ]!;
          f.get(L_T1).reg(s).op(wasmOp);
        }
        f.mem(store);
        if (imm & ATOMIC_FETCH) f.get(L_T1).setReg(s);
        return 1;
      }
      if (cls === CLS_ST) f.i64(imm);
      else f.reg(s);
      f.mem(store);
      return 1;
    }
    case CLS_LD: {
      if (code === LD_IMM64) {
        f.i64((BigInt(p.imm[i + 1]! >>> 0) << 32n) | BigInt(imm >>> 0)).setReg(d);
        return 2;
      }
      f.i32(sizeBytes(code));
      if ((code & 0xe0) === MODE_IND) f.reg(s).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s).i64(imm).op(Op.i64_add);
      else f.i64(imm);
      f.i32(i).call(F_PACKET).setReg(0);
      for (let r = 1; r <= 5; r++) f.i64(0).setReg(r);
      f.global(G_PACKET_FAILED).ifStart().i64(0).op(Op.return).end();
      return 1;
    }
  }
  throw new VmError("BAD_PROGRAM", `cannot compile opcode 0x${code.toString(16)}`, { pc: i });
}

/**
 * BPF_PROG_TEST_RUN's repeat loop inside the module: `count` runs of the program from the same registers, the
 * step count (and so the budget) starting over for each; returns the last run's r0.
 */
function repeatLoop(): CodeWriter {
  const f = new FunctionWriter();
  const COUNT = 6;
  const R0 = 7;
  f.w.byte(Op.block).byte(VOID_BLOCK).byte(Op.loop).byte(VOID_BLOCK);
  f.get(COUNT).op(Op.i32_eqz).w.byte(Op.br_if).u32(1);
  f.i64(0).setGlobal(G_STEPS);
  for (let r = 0; r <= 5; r++) f.get(r);
  f.i32(0).call(F_FIRST_SUBPROGRAM).set(R0);
  f.get(COUNT).i32(1).op(Op.i32_sub).set(COUNT);
  f.w.byte(Op.br).u32(0).byte(Op.end).byte(Op.end);
  f.get(R0).w.byte(Op.end);
  const body = new CodeWriter();
  body.u32(1).u32(1).byte(I64).bytes(f.w.view());
  return body;
}

/**
 * The address check for reads or writes: the cached region first, then VmMemory's region table scanned here (the
 * hit becomes the cache), and VmMemory.translate, the interpreter's own check, when neither holds the access; it
 * faults with the interpreter's error.
 */
function addressChecker(write: boolean): CodeWriter {
  const f = new FunctionWriter();
  const ADDR = 0;
  const SIZE = 1;
  const PC = 2;
  const SITE = 3;
  const I = 4;
  const ENTRY = 5;
  const S = 6;
  const E = 7;
  f.i32(0).set(I);
  f.w.byte(Op.block).byte(VOID_BLOCK).byte(Op.loop).byte(VOID_BLOCK);
  f.get(I).global(G_REGIONS).mem(Op.i32_load).op(Op.i32_ge_u).w.byte(Op.br_if).u32(1);
  f.global(G_REGIONS).i32(4).op(Op.i32_add).get(I).i32(12).op(Op.i32_mul).op(Op.i32_add).set(ENTRY);
  f.get(ENTRY).mem(Op.i64_load32_u).set(S);
  f.get(ENTRY).w.byte(Op.i64_load32_u).u32(0).u32(4);
  f.set(E);
  // addr >= start && addr <= end - size (unsigned; end - size cannot wrap, as end >= BASE)
  f.get(ADDR).get(S).op(Op.i64_ge_u);
  f.get(ADDR).get(E).get(SIZE).op(Op.i64_extend_i32_u).op(Op.i64_sub).op(Op.i64_le_u).op(Op.i32_and);
  if (write) {
    f.get(ENTRY).w.byte(Op.i32_load).u32(0).u32(8);
    f.op(Op.i32_and);
  }
  f.ifStart();
  const slot = () => f.global(G_SITES).get(SITE).i32(8).op(Op.i32_mul).op(Op.i32_add);
  slot().get(S).w.byte(Op.i64_store32).u32(2).u32(0);
  slot().get(E).w.byte(Op.i64_store32).u32(2).u32(4);
  f.get(ADDR).i64(BASE).op(Op.i64_sub).op(Op.i32_wrap_i64).op(Op.return);
  f.end();
  f.get(I).i32(1).op(Op.i32_add).set(I);
  f.w.byte(Op.br).u32(0).byte(Op.end).byte(Op.end);
  f.get(ADDR)
    .get(SIZE)
    .i32(write ? 1 : 0)
    .get(PC)
    .get(SITE)
    .call(F_TRANSLATE);
  f.w.byte(Op.end);
  const body = new CodeWriter();
  body.u32(2).u32(2).byte(I32).u32(2).byte(I64).bytes(f.w.view());
  return body;
}

function funcType(out: CodeWriter, params: number[], results: number[]): void {
  out.byte(0x60).u32(params.length).bytes(params).u32(results.length).bytes(results);
}

const compiledPrograms = new WeakMap<Program, CompiledProgram>();

/** The program compiled once (cached per Program): the engine's entry for programs reached at run time. */
export function compiledFor(p: Program): CompiledProgram {
  let compiled = compiledPrograms.get(p);
  if (!compiled) {
    compiled = compileProgram(p);
    compiledPrograms.set(p, compiled);
  }
  return compiled;
}

/** Compiles a checked program (checkProgram first) into a WebAssembly module. */
export function compileProgram(p: Program): CompiledProgram {
  if (!wasm) throw new VmError("BAD_PROGRAM", "this host has no WebAssembly");
  const starts = subprogramStarts(p);
  const sites: Sites = { count: 0 };
  const functionOf = new Map(starts.map((s, k) => [s, F_FIRST_SUBPROGRAM + k]));

  const module = new CodeWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const types = new CodeWriter().u32(7);
  funcType(types, [I64, I32, I32, I32, I32], [I32]); // 0 translate (address, size, write, pc, site)
  funcType(types, [I32, I32], [I32]); // 1 tail call (pc, depth): whether it happened
  funcType(types, [I32, I32], []); // 2 fault
  funcType(types, [I32, I64, I32], [I64]); // 3 packet
  funcType(types, [I64, I32, I32, I32], [I32]); // 4 address checks (address, size, pc, site)
  funcType(types, [I64, I64, I64, I64, I64, I64, I32], [I64]); // 5 subprograms
  funcType(types, [I32, I32, I32], [I32]); // 6 helper (id, pc, depth): r0's low half (the high half in helperHigh)
  section(module, 1, types);

  const imports = new CodeWriter().u32(5 + 1 + 9);
  const importFunc = (name: string, type: number) => imports.name("env").name(name).byte(0x00).u32(type);
  importFunc("translate", 0);
  importFunc("helper", 6);
  importFunc("fault", 2);
  importFunc("packet", 3);
  importFunc("tailcall", 1);
  imports.name("env").name("memory").byte(0x02).byte(0x00).u32(1);
  const importGlobal = (name: string, type: number, mutable: boolean) =>
    imports
      .name("env")
      .name(name)
      .byte(0x03)
      .byte(type)
      .byte(mutable ? 1 : 0);
  importGlobal("steps", I64, true);
  importGlobal("budget", I64, true);
  importGlobal("scratch", I32, false);
  importGlobal("frames", I32, false);
  importGlobal("packetFailed", I32, true);
  importGlobal("regions", I32, false);
  importGlobal("helperHigh", I32, true);
  importGlobal("tailResult", I64, true);
  importGlobal("sites", I32, false);
  section(module, 2, imports);

  const functions = new CodeWriter()
    .u32(3 + starts.length)
    .u32(4)
    .u32(4);
  for (let k = 0; k < starts.length; k++) functions.u32(5);
  functions.u32(5); // repeat: (r1-r5, r10, count) -> r0 of the last run
  section(module, 3, functions);

  const repeatIndex = F_FIRST_SUBPROGRAM + starts.length;
  const callbackStarts = p.callbackStarts ?? [];
  const exports = new CodeWriter().u32(2 + callbackStarts.length);
  exports.name("main").byte(0x00).u32(F_FIRST_SUBPROGRAM);
  exports.name("repeat").byte(0x00).u32(repeatIndex);
  // Callbacks are entered from helpers (bpf_loop...), through the host.
  for (const start of callbackStarts) exports.name(`callback${start}`).byte(0x00).u32(functionOf.get(start)!);
  section(module, 7, exports);

  const code = new CodeWriter().u32(3 + starts.length);
  code.sized(addressChecker(false)).sized(addressChecker(true));
  starts.forEach((start, k) => {
    code.sized(compileSubprogram(p, start, starts[k + 1] ?? p.length, functionOf, sites));
  });
  code.sized(repeatLoop());
  section(module, 10, code);

  const bytes = module.view().slice();
  const compiled = new wasm.Module(bytes);
  const runtimes = new WeakMap<VmMemory, Runtime>();
  return {
    bytes,
    run: (options) => {
      let runtime = runtimes.get(options.memory);
      if (!runtime) {
        runtime = instantiate(compiled, p, sites.count, options.memory);
        runtimes.set(options.memory, runtime);
      }
      return runtime.run(options);
    },
  };
}

/**
 * The instruction the interpreter stops at when a block starting at `start` takes the step count `overshoot` past
 * the budget (the module counts whole blocks): the block's (count - overshoot + 1)th instruction.
 */
function budgetFaultAt(p: Program, start: number, overshoot: number): number {
  const starts = subprogramStarts(p);
  const from = starts.filter((s) => s <= start).pop() ?? 0;
  const to = starts.find((s) => s > start) ?? p.length;
  const block = blocksOf(p, from, to).find((b) => b.start === start);
  if (!block) return start;
  const insns: number[] = [];
  for (let i = block.start; i < block.end; i++) {
    insns.push(i);
    if (p.code[i] === LD_IMM64) i++;
  }
  return insns[Math.max(0, insns.length - overshoot)] ?? start;
}

/** An instance of a compiled program bound to one VmMemory, reused by every run on that memory. */
interface Runtime {
  run(options: RunOptions): RunResult;
}

function instantiate(module: object, program: Program, sites: number, memory: VmMemory): Runtime {
  const api = wasm;
  if (!memory.wasmMemory || !api) throw new VmError("BAD_PROGRAM", "this host has no WebAssembly");
  const frameTops = memory.stackFrames(MAX_CALL_FRAMES, STACK_SIZE);
  const scratch = memory.reserve(8 * 11);
  const frames = memory.reserve(8 * MAX_CALL_FRAMES);
  frameTops.forEach((top, f) => {
    memory.view.setBigUint64(frames + 8 * f, BigInt(top), true);
  });
  const i64Global = (value: bigint) => new api.Global({ value: "i64", mutable: true }, value);
  // The access sites' region caches, empty: no access lies in [0xffffffff, 0xffffffff - size].
  const siteCache = memory.reserve(8 * Math.max(1, sites));
  const emptyCaches = () => new Uint32Array(memory.bytes.buffer, siteCache, 2 * Math.max(1, sites)).fill(0xffffffff);
  emptyCaches();
  memory.onResize(emptyCaches);
  const steps = i64Global(0n);
  const budget = i64Global(0n);
  const packetFailed = new api.Global({ value: "i32", mutable: true }, 0);
  const helperHigh = new api.Global({ value: "i32", mutable: true }, 0);
  const tailResult = i64Global(0n);
  let tailCallsLeft = MAX_TAIL_CALLS;
  const regs: Registers = { lo: new Uint32Array(11), hi: new Uint32Array(11) };
  // The options of the run in progress: the imports read them.
  let current: RunOptions | undefined;
  type Subprogram = (...args: (bigint | number)[]) => bigint;
  let exported: Record<string, Subprogram> = {};
  // Where the helper running now was called from (callbacks start one frame deeper).
  let helperPc = 0;
  let helperDepth = 0;
  const callbacks: Callbacks = {
    call(target, args) {
      const depth = helperDepth;
      const pc = helperPc;
      checkCallback(program, target, depth, pc);
      // The callback's helpers reuse the register file: the calling helper's view of it is restored after.
      const lo = regs.lo.slice();
      const hi = regs.hi.slice();
      try {
        const arg = (k: number) => BigInt.asIntN(64, args[k] ?? 0n);
        const fn = exported[`callback${target}`]!;
        return BigInt.asUintN(64, fn(arg(0), arg(1), arg(2), arg(3), arg(4), BigInt(frameTops[depth + 1]!), depth + 1));
      } finally {
        regs.lo.set(lo);
        regs.hi.set(hi);
        helperPc = pc;
        helperDepth = depth;
      }
    },
  };
  const imports = {
    env: {
      memory: memory.wasmMemory,
      translate: (address: bigint, size: number, write: number, pc: number, site: number) => {
        const a = BigInt.asUintN(64, address);
        const index = memory.translate(Number(a & 0xffffffffn), Number(a >> 32n), size, write !== 0, pc);
        const region = memory.lastRegion!;
        memory.view.setUint32(siteCache + 8 * site, region.start, true);
        memory.view.setUint32(siteCache + 8 * site + 4, region.end, true);
        return index;
      },
      helper: (id: number, pc: number, depth: number) => {
        const helper: Helper | undefined = current?.helpers?.get(id);
        if (!helper) throw new VmError("HELPER", `helper #${id} is not provided`, { pc });
        const view = memory.view;
        for (let r = 1; r <= 5; r++) {
          regs.lo[r] = view.getUint32(scratch + 8 * r, true);
          regs.hi[r] = view.getUint32(scratch + 8 * r + 4, true);
        }
        helperPc = pc;
        helperDepth = depth;
        helper(regs, memory, pc, callbacks);
        helperHigh.value = regs.hi[0]! | 0;
        return regs.lo[0]! | 0;
      },
      fault: (kind: number, pc: number) => {
        if (kind === FAULT_BUDGET) {
          const limit = budget.value;
          const at = budgetFaultAt(program, pc, Number(steps.value - limit));
          throw new VmError("BUDGET", `instruction budget of ${limit} exhausted (a loop that does not end?)`, {
            pc: at,
          });
        }
        throw new VmError("CALL_DEPTH", `the call stack is ${MAX_CALL_FRAMES} frames deep`, { pc });
      },
      packet: (size: number, offset: bigint, _pc: number) => {
        const packet = current?.packet;
        const at = Number(offset);
        packetFailed.value = 0;
        if (!packet || at < 0 || at + size > packet.length) {
          packetFailed.value = 1;
          return 0n;
        }
        let v = 0n;
        for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(packet[at + k]!);
        return v;
      },
      sites: new api.Global({ value: "i32", mutable: false }, siteCache),
      steps,
      budget,
      scratch: new api.Global({ value: "i32", mutable: false }, scratch),
      frames: new api.Global({ value: "i32", mutable: false }, frames),
      packetFailed,
      regions: new api.Global({ value: "i32", mutable: false }, memory.regionTable),
      helperHigh,
      tailResult,
      tailcall: (_pc: number, depth: number) => {
        const options = current!;
        if (!options.tailCall) return 0;
        const view = memory.view;
        for (let r = 1; r <= 5; r++) {
          regs.lo[r] = view.getUint32(scratch + 8 * r, true);
          regs.hi[r] = view.getUint32(scratch + 8 * r + 4, true);
        }
        const target = tailCallsLeft > 0 ? options.tailCall(regs) : undefined;
        if (!target) return 0;
        tailCallsLeft--;
        // The callee runs on its own instance over the same memory; the caller returns its r0 right after.
        const ctx = (BigInt(regs.hi[1]!) << 32n) | BigInt(regs.lo[1]!);
        const saved = tailCallsLeft;
        // In a subprogram, the callee takes over that frame: it runs on the frame's stack, at the frame's depth.
        const result = compiledFor(target).run({
          ...options,
          registers: { 1: ctx },
          repeat: 1,
          tailCallsLeft: saved,
          depth,
        });
        tailResult.value = BigInt.asIntN(64, result.value);
        return 1;
      },
    },
  };
  const instance = new api.Instance(module, imports);
  exported = instance.exports as Record<string, Subprogram>;
  const { main, repeat } = exported as Record<"main" | "repeat", Subprogram>;

  let makesTailCalls = false;
  for (let i = 0; i < program.length; i++) {
    if (program.code[i] === (CLS_JMP | JMP_CALL) && program.src[i] === 0 && program.imm[i] === TAIL_CALL_HELPER) {
      makesTailCalls = true;
    }
  }
  return {
    run(options) {
      // Runs nest when a program tail-calls itself from a subprogram: the outer run continues afterwards.
      const outer = current;
      const outerSteps = steps.value;
      const outerBudget = budget.value;
      current = options;
      steps.value = 0n;
      budget.value = BigInt(options.budget ?? 1_000_000);
      const initial = options.registers ?? {};
      const depth = options.depth ?? 0;
      const top = BigInt(frameTops[depth]!);
      const arg = (r: number) => BigInt.asIntN(64, initial[r] ?? 0n);
      try {
        const runs = Math.max(1, options.repeat ?? 1);
        let value: bigint;
        if (runs === 1 || (options.tailCall && makesTailCalls)) {
          // With tail calls each run starts its count over, so the repeat loop stays out here.
          value = 0n;
          for (let k = 0; k < runs; k++) {
            tailCallsLeft = options.tailCallsLeft ?? MAX_TAIL_CALLS;
            steps.value = 0n;
            value = main(arg(1), arg(2), arg(3), arg(4), arg(5), top, depth);
          }
        } else {
          value = repeat!(arg(1), arg(2), arg(3), arg(4), arg(5), top, runs);
        }
        return { value: BigInt.asUintN(64, value), steps: Number(steps.value) };
      } finally {
        current = outer;
        if (outer) {
          steps.value = outerSteps;
          budget.value = outerBudget;
        }
      }
    },
  };
}
