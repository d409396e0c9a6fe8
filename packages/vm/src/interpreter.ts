// The reference engine: runs a checked Program instruction by instruction with the kernel's (RFC 9669's)
// results. Registers are 64-bit values kept as two unsigned 32-bit halves (lo/hi typed arrays), so the common
// operations are plain integer arithmetic; 64-bit division uses BigInt, which programs rarely reach.

import { VmError } from "./errors.js";
import type { VmMemory } from "./memory.js";
import * as opcodes from "./opcodes.js";
import type { Program } from "./program.js";

// Module-local copies: V8 folds a module's own constants into switch cases, but loads an imported binding at
// every case it tests (measured: dispatch three times slower).
const {
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
} = opcodes;

/** The register file a helper sees: r0-r10 as lo/hi halves. */
export interface Registers {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

/** What a helper may ask of the engine running it. */
export interface Callbacks {
  /**
   * Runs the calling program's callback starting at instruction `target` in a new frame, with r1-r5 = `args`;
   * gives its r0 (bpf_loop, bpf_for_each_map_elem). Steps count against the run's budget.
   */
  call(target: number, args: readonly bigint[]): bigint;
}

/** A helper: reads its arguments from r1-r5, leaves its result in r0. */
export type Helper = (regs: Registers, memory: VmMemory, pc: number, callbacks: Callbacks) => void;

/** A callback reference in a register: high half FUNC_HANDLE, low half the callback's first instruction. */
export const FUNC_HANDLE = 2;

export interface RunOptions {
  readonly memory: VmMemory;
  /** Initial register values (r1 = context pointer...), as bigint. r10 is set by the VM. */
  readonly registers?: Readonly<Record<number, bigint>>;
  readonly helpers?: ReadonlyMap<number, Helper>;
  /** Instructions a run may execute before it is stopped (default 1,000,000, the kernel's program size limit). */
  readonly budget?: number;
  /** Packet bytes for the legacy ldabs/ldind loads (big-endian reads; out of range ends the run with r0 = 0). */
  readonly packet?: Uint8Array;
  /** Called before each instruction: pc and the registers (a trace). */
  readonly trace?: (pc: number, regs: Registers) => void;
  /**
   * Runs in a row (BPF_PROG_TEST_RUN's repeat): each starts from the initial registers, memory is left as the
   * previous run left it, the budget is per run, and the result is the last run's. Default 1.
   */
  readonly repeat?: number;
  /**
   * bpf_tail_call: the program in slot r3 of the prog array r2, or undefined when there is none (the call then
   * falls through, as in the kernel). Without it, a tail call is a helper like any other.
   */
  readonly tailCall?: (regs: Registers) => Program | undefined;
  /** Tail calls this run may still make (internal: a compiled callee continues its caller's count). */
  readonly tailCallsLeft?: number;
  /** Internal (callbacks): where the run starts, and the call depth of its first frame. */
  readonly entry?: number;
  readonly depth?: number;
}

/** The VmError a callback reference that names no callback of `program` gets. */
export function checkCallback(program: Program, target: number, depth: number, pc: number): void {
  if (!program.callbackStarts?.includes(target)) {
    throw new VmError("HELPER", `callback argument ${target} is not a callback of this program`, { pc });
  }
  if (depth + 1 >= MAX_CALL_FRAMES) {
    throw new VmError("CALL_DEPTH", `the call stack is ${MAX_CALL_FRAMES} frames deep`, { pc });
  }
}

/** bpf_tail_call's helper id, and the kernel's limit on tail calls in one run (MAX_TAIL_CALL_CNT). */
export const TAIL_CALL_HELPER = 12;
export const MAX_TAIL_CALLS = 33;

export interface RunResult {
  /** r0 at exit. */
  readonly value: bigint;
  /** Instructions executed (by the last run, with repeat). */
  readonly steps: number;
}

const TWO32 = 0x1_0000_0000;
/** Bytes of an access by its size field (W, H, B, DW), indexed by (code >> 3) & 3. */
const SIZE_BYTES = Uint8Array.of(4, 2, 1, 8);

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function signedBig(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, toBig(lo, hi));
}

/** Low 64 bits of a 64 x 64 product, in halves. */
function mul64(alo: number, ahi: number, blo: number, bhi: number, out: Uint32Array): void {
  const a0 = alo & 0xffff;
  const a1 = alo >>> 16;
  const b0 = blo & 0xffff;
  const b1 = blo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[0] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  const high = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 0x10000);
  out[1] = (high + Math.imul(alo, bhi) + Math.imul(ahi, blo)) >>> 0;
}

function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Callbacks of the interpreter: a nested run of the same program, one frame deeper, sharing the budget. */
class InterpreterCallbacks implements Callbacks {
  /** Steps the callbacks of the current helper call took. */
  steps = 0;
  private program: Program | undefined;
  private pc = 0;
  private depth = 0;
  private remaining = 0;

  constructor(private readonly options: RunOptions) {}

  enter(program: Program, pc: number, depth: number, remaining: number): void {
    this.program = program;
    this.pc = pc;
    this.depth = depth;
    this.remaining = remaining;
    this.steps = 0;
  }

  call(target: number, args: readonly bigint[]): bigint {
    const program = this.program!;
    checkCallback(program, target, this.depth, this.pc);
    const registers: Record<number, bigint> = {};
    args.forEach((value, k) => {
      registers[k + 1] = value;
    });
    const r = interpret(program, {
      ...this.options,
      registers,
      entry: target,
      depth: this.depth + 1,
      budget: this.remaining - this.steps,
      repeat: 1,
    });
    this.steps += r.steps;
    return r.value;
  }
}

/** Runs `program` from instruction 0 until the outermost frame exits. */
export function interpret(program: Program, options: RunOptions): RunResult {
  let running = program;
  let { code, dst: dsts, src: srcs, off: offs, imm: imms, length } = program;
  let tailCallsLeft = options.tailCallsLeft ?? MAX_TAIL_CALLS;
  const memory = options.memory;
  const helpers = options.helpers;
  const trace = options.trace;
  const budget = options.budget ?? 1_000_000;
  const lo = new Uint32Array(11);
  const hi = new Uint32Array(11);
  const regs: Registers = { lo, hi };
  const tmp = new Uint32Array(2);
  for (const [reg, value] of Object.entries(options.registers ?? {})) {
    const v = BigInt.asUintN(64, value);
    lo[Number(reg)] = Number(v & 0xffffffffn);
    hi[Number(reg)] = Number(v >> 32n);
  }
  const frameTops = memory.stackFrames(MAX_CALL_FRAMES, STACK_SIZE);
  const baseDepth = options.depth ?? 0;
  lo[10] = frameTops[baseDepth]!;
  hi[10] = 0;
  const initialLo = lo.slice();
  const initialHi = hi.slice();
  let runsLeft = Math.max(1, options.repeat ?? 1);
  // Call frames: return pc, saved r6-r9 (lo, hi), caller's r10.
  const frames: number[] = [];
  /** The program each frame returns into (a tail call in a subprogram replaces only that frame's program). */
  const callers: Program[] = [];
  let depth = baseDepth;
  let steps = 0;
  let pc = options.entry ?? 0;
  // Each load or store instruction remembers the region it last hit (start, end, buffer offset): most hit the
  // same one every run. Empty entries match no address. Regions never move, so entries never go stale.
  let sites = accessSites(program, memory);
  let { siteStart, siteEnd, siteOffset } = sites;
  // Filled in before each helper call: a closure over pc or steps would move them out of registers.
  const callbacks = new InterpreterCallbacks(options);

  for (;;) {
    if (++steps > budget) {
      throw new VmError("BUDGET", `instruction budget of ${budget} exhausted (a loop that does not end?)`, { pc });
    }
    if (pc < 0 || pc >= length) throw new VmError("BAD_PROGRAM", "execution left the program", { pc });
    if (trace !== undefined) trace(pc, regs);
    const op = code[pc]!;
    const d = dsts[pc]!;
    const s = srcs[pc]!;
    // The most frequent opcodes first, each with its own body (one jump table, no operand branches); the
    // generic code below handles them all too.
    switch (op) {
      case 0xb7: {
        // r_d = imm (64-bit)
        const imm = imms[pc]!;
        lo[d] = imm;
        hi[d] = imm < 0 ? 0xffffffff : 0;
        pc++;
        continue;
      }
      case 0xbf:
        // r_d = r_s (off 0; sign-extending moves take the generic path)
        if (offs[pc] === 0) {
          lo[d] = lo[s]!;
          hi[d] = hi[s]!;
          pc++;
          continue;
        }
        break;
      case 0x07: {
        // r_d += imm (64-bit)
        const imm = imms[pc]!;
        const alo = lo[d]!;
        const rlo = alo + (imm >>> 0);
        lo[d] = rlo;
        hi[d] = hi[d]! + (imm < 0 ? 0xffffffff : 0) + (rlo >= TWO32 ? 1 : 0);
        pc++;
        continue;
      }
      case 0x05:
        // goto +off
        pc += offs[pc]! + 1;
        continue;
      case 0x15:
      case 0x55: {
        // if r_d ==/!= imm goto +off
        const imm = imms[pc]!;
        const equal = lo[d] === imm >>> 0 && hi[d] === (imm < 0 ? 0xffffffff : 0);
        pc += equal === (op === 0x15) ? offs[pc]! + 1 : 1;
        continue;
      }
      case 0x1d:
      case 0x5d: {
        // if r_d ==/!= r_s goto +off
        const equal = lo[d] === lo[s] && hi[d] === hi[s];
        pc += equal === (op === 0x1d) ? offs[pc]! + 1 : 1;
        continue;
      }
    }
    const cls = op & 0x07;
    switch (cls) {
      case CLS_ALU64: {
        const x = (op & SRC_X) !== 0;
        const imm = imms[pc]!;
        const blo = x ? lo[s]! : imm >>> 0;
        const bhi = x ? hi[s]! : imm < 0 ? 0xffffffff : 0;
        const alo = lo[d]!;
        const ahi = hi[d]!;
        switch (op & 0xf0) {
          case ALU_ADD: {
            const rlo = alo + blo;
            lo[d] = rlo;
            hi[d] = ahi + bhi + (rlo >= TWO32 ? 1 : 0);
            break;
          }
          case ALU_SUB: {
            lo[d] = alo - blo;
            hi[d] = ahi - bhi - (alo < blo ? 1 : 0);
            break;
          }
          case ALU_MUL:
            mul64(alo, ahi, blo, bhi, tmp);
            lo[d] = tmp[0]!;
            hi[d] = tmp[1]!;
            break;
          case ALU_DIV:
          case ALU_MOD: {
            const isDiv = (op & 0xf0) === ALU_DIV;
            if (blo === 0 && bhi === 0) {
              if (isDiv) lo[d] = hi[d] = 0;
              break;
            }
            let r: bigint;
            if (offs[pc] === 1) {
              const a = signedBig(alo, ahi);
              const b = signedBig(blo, bhi);
              r = isDiv ? a / b : a % b;
            } else if (ahi === 0 && bhi === 0) {
              r = BigInt(isDiv ? Math.floor(alo / blo) : alo % blo);
            } else {
              const a = toBig(alo, ahi);
              const b = toBig(blo, bhi);
              r = isDiv ? a / b : a % b;
            }
            const u = BigInt.asUintN(64, r);
            lo[d] = Number(u & 0xffffffffn);
            hi[d] = Number(u >> 32n);
            break;
          }
          case ALU_OR:
            lo[d] = alo | blo;
            hi[d] = ahi | bhi;
            break;
          case ALU_AND:
            lo[d] = alo & blo;
            hi[d] = ahi & bhi;
            break;
          case ALU_XOR:
            lo[d] = alo ^ blo;
            hi[d] = ahi ^ bhi;
            break;
          case ALU_LSH: {
            const n = blo & 63;
            if (n === 0) break;
            if (n < 32) {
              hi[d] = (ahi << n) | (alo >>> (32 - n));
              lo[d] = alo << n;
            } else {
              hi[d] = alo << (n - 32);
              lo[d] = 0;
            }
            break;
          }
          case ALU_RSH: {
            const n = blo & 63;
            if (n === 0) break;
            if (n < 32) {
              lo[d] = (alo >>> n) | (ahi << (32 - n));
              hi[d] = ahi >>> n;
            } else {
              lo[d] = ahi >>> (n - 32);
              hi[d] = 0;
            }
            break;
          }
          case ALU_ARSH: {
            const n = blo & 63;
            if (n === 0) break;
            if (n < 32) {
              lo[d] = (alo >>> n) | (ahi << (32 - n));
              hi[d] = (ahi | 0) >> n;
            } else {
              lo[d] = (ahi | 0) >> (n - 32);
              hi[d] = (ahi | 0) >> 31;
            }
            break;
          }
          case ALU_NEG:
            lo[d] = -alo;
            hi[d] = ~ahi + (alo === 0 ? 1 : 0);
            break;
          case ALU_MOV: {
            const ext = offs[pc]!;
            if (ext === 0) {
              lo[d] = blo;
              hi[d] = bhi;
            } else {
              const v = ext === 8 ? (blo << 24) >> 24 : ext === 16 ? (blo << 16) >> 16 : blo | 0;
              lo[d] = v;
              hi[d] = v < 0 ? 0xffffffff : 0;
            }
            break;
          }
          case ALU_END: {
            // BPF_ALU64 | BPF_END: unconditional byte swap of the low `imm` bits.
            if (imm === 16) {
              lo[d] = bswap16(alo);
              hi[d] = 0;
            } else if (imm === 32) {
              lo[d] = bswap32(alo);
              hi[d] = 0;
            } else {
              lo[d] = bswap32(ahi);
              hi[d] = bswap32(alo);
            }
            break;
          }
        }
        pc++;
        break;
      }
      case CLS_ALU: {
        const x = (op & SRC_X) !== 0;
        const imm = imms[pc]!;
        const b = x ? lo[s]! : imm >>> 0;
        const a = lo[d]!;
        let r = 0;
        switch (op & 0xf0) {
          case ALU_ADD:
            r = a + b;
            break;
          case ALU_SUB:
            r = a - b;
            break;
          case ALU_MUL:
            r = Math.imul(a, b);
            break;
          case ALU_DIV:
            if (b === 0) r = 0;
            else if (offs[pc] === 1) r = (b | 0) === -1 ? -(a | 0) : Math.trunc((a | 0) / (b | 0));
            else r = Math.floor(a / b);
            break;
          case ALU_MOD:
            if (b === 0) r = a;
            else if (offs[pc] === 1) r = (b | 0) === -1 ? 0 : (a | 0) % (b | 0);
            else r = a % b;
            break;
          case ALU_OR:
            r = a | b;
            break;
          case ALU_AND:
            r = a & b;
            break;
          case ALU_XOR:
            r = a ^ b;
            break;
          case ALU_LSH:
            r = a << (b & 31);
            break;
          case ALU_RSH:
            r = a >>> (b & 31);
            break;
          case ALU_ARSH:
            r = (a | 0) >> (b & 31);
            break;
          case ALU_NEG:
            r = -a;
            break;
          case ALU_MOV: {
            const ext = offs[pc]!;
            r = ext === 8 ? (b << 24) >> 24 : ext === 16 ? (b << 16) >> 16 : b;
            break;
          }
          case ALU_END: {
            // BPF_TO_LE (K) on a little-endian machine truncates; BPF_TO_BE (X) swaps.
            if (x) {
              if (imm === 16) r = bswap16(a);
              else if (imm === 32) r = bswap32(a);
              else {
                lo[d] = bswap32(hi[d]!);
                hi[d] = bswap32(a);
                pc++;
                continue;
              }
            } else if (imm === 16) r = a & 0xffff;
            else if (imm === 32) r = a;
            else {
              pc++;
              continue;
            }
            break;
          }
        }
        lo[d] = r;
        hi[d] = 0;
        pc++;
        break;
      }
      case CLS_JMP:
      case CLS_JMP32: {
        const jop = op & 0xf0;
        if (jop === JMP_JA) {
          pc += (cls === CLS_JMP ? offs[pc]! : imms[pc]!) + 1;
          break;
        }
        if (jop === JMP_EXIT) {
          if (depth === baseDepth) {
            if (--runsLeft === 0) return { value: toBig(lo[0]!, hi[0]!), steps };
            // The next run starts over in the program the run started with (a tail call may have left another).
            if (running !== program) {
              running = program;
              ({ code, dst: dsts, src: srcs, off: offs, imm: imms, length } = program);
              sites = accessSites(program, memory);
              ({ siteStart, siteEnd, siteOffset } = sites);
            }
            tailCallsLeft = MAX_TAIL_CALLS;
            for (let r = 0; r < 11; r++) {
              lo[r] = initialLo[r]!;
              hi[r] = initialHi[r]!;
            }
            steps = 0;
            pc = 0;
            break;
          }
          depth--;
          // A subprogram that tail-called returns from the program it called into: back to the caller's code.
          const caller = callers.pop()!;
          if (caller !== running) {
            running = caller;
            ({ code, dst: dsts, src: srcs, off: offs, imm: imms, length } = caller);
            sites = accessSites(caller, memory);
            ({ siteStart, siteEnd, siteOffset } = sites);
          }
          const at = frames.length - 10;
          pc = frames[at]!;
          for (let r = 6; r <= 9; r++) {
            lo[r] = frames[at + 1 + (r - 6) * 2]!;
            hi[r] = frames[at + 2 + (r - 6) * 2]!;
          }
          lo[10] = frames[at + 9]!;
          frames.length = at;
          break;
        }
        if (jop === JMP_CALL) {
          if (s === CALL_LOCAL) {
            if (depth + 1 >= MAX_CALL_FRAMES) {
              throw new VmError("CALL_DEPTH", `the call stack is ${MAX_CALL_FRAMES} frames deep`, { pc });
            }
            frames.push(pc + 1, lo[6]!, hi[6]!, lo[7]!, hi[7]!, lo[8]!, hi[8]!, lo[9]!, hi[9]!, lo[10]!);
            callers.push(running);
            depth++;
            lo[10] = frameTops[depth]!;
            pc += imms[pc]! + 1;
            break;
          }
          if (imms[pc] === TAIL_CALL_HELPER && options.tailCall) {
            const target = tailCallsLeft > 0 ? options.tailCall(regs) : undefined;
            if (target) {
              // The callee replaces the program in this frame (the stack frame too); its exit returns from the
              // frame, as the kernel's JIT does.
              tailCallsLeft--;
              running = target;
              ({ code, dst: dsts, src: srcs, off: offs, imm: imms, length } = target);
              sites = accessSites(target, memory);
              ({ siteStart, siteEnd, siteOffset } = sites);
              pc = 0;
              break;
            }
            pc++;
            break;
          }
          const helper = helpers?.get(imms[pc]!);
          if (!helper) throw new VmError("HELPER", `helper #${imms[pc]} is not provided`, { pc });
          callbacks.enter(running, pc, depth, budget - steps);
          helper(regs, memory, pc, callbacks);
          steps += callbacks.steps;
          // r1-r5 are caller-saved: their values after a call are undefined, and the checks refuse reading them.
          pc++;
          break;
        }
        const x = (op & SRC_X) !== 0;
        const imm = imms[pc]!;
        const blo = x ? lo[s]! : imm >>> 0;
        let bhi = x ? hi[s]! : imm < 0 ? 0xffffffff : 0;
        const alo = lo[d]!;
        let ahi = hi[d]!;
        if (cls === CLS_JMP32) {
          ahi = (alo | 0) < 0 ? 0xffffffff : 0;
          bhi = (blo | 0) < 0 ? 0xffffffff : 0;
        }
        let taken: boolean;
        switch (jop) {
          case JMP_JEQ:
            taken = alo === blo && (cls === CLS_JMP32 || ahi === bhi);
            break;
          case JMP_JNE:
            taken = alo !== blo || (cls !== CLS_JMP32 && ahi !== bhi);
            break;
          case JMP_JSET:
            taken = (alo & blo) !== 0 || (cls !== CLS_JMP32 && (ahi & bhi) !== 0);
            break;
          default: {
            // Ordered compares: unsigned on the halves, signed with the high half as int32.
            let cmp: number;
            const signed = jop === JMP_JSGT || jop === JMP_JSGE || jop === JMP_JSLT || jop === JMP_JSLE;
            if (cls === CLS_JMP32) {
              if (!signed) {
                ahi = 0;
                bhi = 0;
              }
            }
            if (signed) {
              const sa = ahi | 0;
              const sb = bhi | 0;
              cmp = sa !== sb ? (sa < sb ? -1 : 1) : alo === blo ? 0 : alo < blo ? -1 : 1;
            } else {
              cmp = ahi !== bhi ? (ahi < bhi ? -1 : 1) : alo === blo ? 0 : alo < blo ? -1 : 1;
            }
            switch (jop) {
              case JMP_JGT:
              case JMP_JSGT:
                taken = cmp > 0;
                break;
              case JMP_JGE:
              case JMP_JSGE:
                taken = cmp >= 0;
                break;
              case JMP_JLT:
              case JMP_JSLT:
                taken = cmp < 0;
                break;
              default: // JLE, JSLE
                taken = cmp <= 0;
            }
          }
        }
        pc += taken ? offs[pc]! + 1 : 1;
        break;
      }
      case CLS_LDX: {
        const size = SIZE_BYTES[(op >> 3) & 3]!;
        const address = (lo[s]! + offs[pc]!) >>> 0;
        const at =
          address >= siteStart[pc]! && address + size <= siteEnd[pc]! && addrHigh(lo[s]!, hi[s]!, offs[pc]!) === 0
            ? address - siteStart[pc]! + siteOffset[pc]!
            : access(memory, sites, address, addrHigh(lo[s]!, hi[s]!, offs[pc]!), size, false, pc);
        const view = memory.view;
        const signed = (op & 0xe0) === MODE_MEMSX;
        switch (op & 0x18) {
          case SIZE_B: {
            const v = signed ? view.getInt8(at) : view.getUint8(at);
            lo[d] = v;
            hi[d] = v < 0 ? 0xffffffff : 0;
            break;
          }
          case SIZE_H: {
            const v = signed ? view.getInt16(at, true) : view.getUint16(at, true);
            lo[d] = v;
            hi[d] = v < 0 ? 0xffffffff : 0;
            break;
          }
          case SIZE_W: {
            const v = signed ? view.getInt32(at, true) : view.getUint32(at, true);
            lo[d] = v;
            hi[d] = v < 0 ? 0xffffffff : 0;
            break;
          }
          default:
            lo[d] = view.getUint32(at, true);
            hi[d] = view.getUint32(at + 4, true);
        }
        pc++;
        break;
      }
      case CLS_ST:
      case CLS_STX: {
        const size = SIZE_BYTES[(op >> 3) & 3]!;
        const base = lo[d]!;
        const address = (base + offs[pc]!) >>> 0;
        const at =
          address >= siteStart[pc]! && address + size <= siteEnd[pc]! && addrHigh(base, hi[d]!, offs[pc]!) === 0
            ? address - siteStart[pc]! + siteOffset[pc]!
            : access(memory, sites, address, addrHigh(base, hi[d]!, offs[pc]!), size, true, pc);
        const view = memory.view;
        if (cls === CLS_STX && (op & 0xe0) === MODE_ATOMIC) {
          atomic(view, at, size, imms[pc]!, s, lo, hi);
          pc++;
          break;
        }
        const vlo = cls === CLS_ST ? imms[pc]! >>> 0 : lo[s]!;
        const vhi = cls === CLS_ST ? (imms[pc]! < 0 ? 0xffffffff : 0) : hi[s]!;
        switch (op & 0x18) {
          case SIZE_B:
            view.setUint8(at, vlo & 0xff);
            break;
          case SIZE_H:
            view.setUint16(at, vlo & 0xffff, true);
            break;
          case SIZE_W:
            view.setUint32(at, vlo, true);
            break;
          default:
            view.setUint32(at, vlo, true);
            view.setUint32(at + 4, vhi, true);
        }
        pc++;
        break;
      }
      case CLS_LD: {
        if (op === LD_IMM64) {
          lo[d] = imms[pc]! >>> 0;
          hi[d] = imms[pc + 1]! >>> 0;
          pc += 2;
          break;
        }
        // Legacy packet loads (BPF_ABS / BPF_IND): big-endian, r0 = value; out of range ends the program with 0.
        const packet = options.packet;
        const size = SIZE_BYTES[(op >> 3) & 3]!;
        const offset = (op & 0xe0) === MODE_IND ? (lo[s]! | 0) + imms[pc]! : imms[pc]!;
        for (let r = 1; r <= 5; r++) lo[r] = hi[r] = 0;
        if (!packet || offset < 0 || offset + size > packet.length) return { value: 0n, steps };
        let v = 0;
        for (let k = 0; k < size; k++) v = v * 256 + packet[offset + k]!;
        lo[0] = v;
        hi[0] = 0;
        pc++;
        break;
      }
    }
  }
}

/** High half of base + off (off sign-extended): a carry or borrow out of the low half moves it. */
interface AccessSites {
  readonly siteStart: Uint32Array;
  readonly siteEnd: Uint32Array;
  readonly siteOffset: Uint32Array;
}

const sitesOf = new WeakMap<Program, WeakMap<VmMemory, AccessSites>>();

/** The per-instruction region caches of `program` over `memory`, kept from run to run. */
function accessSites(program: Program, memory: VmMemory): AccessSites {
  let byMemory = sitesOf.get(program);
  if (!byMemory) {
    byMemory = new WeakMap();
    sitesOf.set(program, byMemory);
  }
  let sites = byMemory.get(memory);
  if (!sites) {
    const n = program.length;
    const created = {
      siteStart: new Uint32Array(n).fill(0xffffffff),
      siteEnd: new Uint32Array(n),
      siteOffset: new Uint32Array(n),
    };
    memory.onResize(() => created.siteStart.fill(0xffffffff));
    sites = created;
    byMemory.set(memory, sites);
  }
  return sites;
}

/** The checked access (VmMemory.translate), remembering its region for instruction `pc`. */
function access(
  memory: VmMemory,
  sites: AccessSites,
  lo32: number,
  hi32: number,
  size: number,
  write: boolean,
  pc: number,
): number {
  const at = memory.translate(lo32, hi32, size, write, pc);
  const region = memory.lastRegion!;
  sites.siteStart[pc] = region.start;
  sites.siteEnd[pc] = region.end;
  sites.siteOffset[pc] = region.offset;
  return at;
}

function addrHigh(lo32: number, hi32: number, off: number): number {
  const sum = lo32 + off;
  return (hi32 + (sum >= TWO32 ? 1 : sum < 0 ? -1 : 0)) >>> 0;
}

function atomic(view: DataView, at: number, size: number, imm: number, s: number, lo: Uint32Array, hi: Uint32Array) {
  const wide = size === 8;
  const oldLo = view.getUint32(at, true);
  const oldHi = wide ? view.getUint32(at + 4, true) : 0;
  const vlo = lo[s]!;
  const vhi = wide ? hi[s]! : 0;
  let nlo: number;
  let nhi: number;
  if (imm === ATOMIC_CMPXCHG) {
    const equal = oldLo === lo[0]! && (!wide || oldHi === hi[0]!);
    nlo = equal ? vlo : oldLo;
    nhi = equal ? vhi : oldHi;
    lo[0] = oldLo;
    hi[0] = oldHi;
  } else {
    switch (imm & ~ATOMIC_FETCH) {
      case ALU_ADD: {
        const sum = oldLo + vlo;
        nlo = sum >>> 0;
        nhi = (oldHi + vhi + (sum >= TWO32 ? 1 : 0)) >>> 0;
        break;
      }
      case ALU_OR:
        nlo = oldLo | vlo;
        nhi = oldHi | vhi;
        break;
      case ALU_AND:
        nlo = oldLo & vlo;
        nhi = oldHi & vhi;
        break;
      case ALU_XOR:
        nlo = oldLo ^ vlo;
        nhi = oldHi ^ vhi;
        break;
      default: // XCHG
        nlo = vlo;
        nhi = vhi;
    }
    if (imm & ATOMIC_FETCH || imm === ATOMIC_XCHG) {
      lo[s] = oldLo;
      hi[s] = oldHi;
    }
  }
  view.setUint32(at, nlo, true);
  if (wide) view.setUint32(at + 4, nhi, true);
}
