// A program as the VM runs it: instructions decoded once into parallel typed arrays, after the structural checks
// the kernel's verifier makes before it looks at values: known opcodes, valid registers, reserved fields zero,
// jumps and calls inside the program and never into the middle of an LD_IMM64, a well-formed LD_IMM64 pair, no
// falling off the end, and no register read before it is written (a forward data-flow pass, the kernel's
// "!read_ok"). Values, bounds and loops are checked while running instead (memory.ts, the instruction budget).

import { VmError } from "./errors.js";
import {
  ALU_ADD,
  ALU_ARSH,
  ALU_DIV,
  ALU_END,
  ALU_MOD,
  ALU_MOV,
  ALU_NEG,
  ATOMIC_CMPXCHG,
  ATOMIC_FETCH,
  ATOMIC_XCHG,
  CALL_HELPER,
  CALL_LOCAL,
  CLS_ALU,
  CLS_ALU64,
  CLS_JMP,
  CLS_JMP32,
  CLS_LD,
  CLS_LDX,
  CLS_ST,
  CLS_STX,
  INSN_SIZE,
  JMP_CALL,
  JMP_EXIT,
  JMP_JA,
  LD_IMM64,
  MODE_ABS,
  MODE_ATOMIC,
  MODE_IND,
  MODE_MEM,
  MODE_MEMSX,
  SIZE_DW,
  SRC_X,
} from "./opcodes.js";

export interface Program {
  readonly length: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  /**
   * First instructions of the callbacks whose addresses the program takes (libbpf's BPF_PSEUDO_FUNC ld_imm64s,
   * which the backend turns into function references): subprograms that no call instruction names.
   */
  readonly callbackStarts?: readonly number[];
  /**
   * Array maps the program looks up, by map handle: where their values are. With it, the compiled engine does
   * such lookups inline, as the kernel's verifier inlines them (array_map_gen_lookup), instead of calling the
   * helper. Results are the same either way.
   */
  readonly arrayMaps?: ReadonlyMap<number, ArrayLayout>;
}

export interface ArrayLayout {
  /** Address of element 0. */
  readonly start: number;
  /** Bytes between elements (the value size rounded up to 8). */
  readonly elementSize: number;
  readonly maxEntries: number;
}

export interface CheckOptions {
  /** Registers set when the program starts (default r1, the context, as the kernel does). */
  readonly initialized?: readonly number[];
  /** Whether a helper id exists; an unknown helper is refused at load time. Default: every id. */
  readonly knownHelper?: (id: number) => boolean;
  /** A helper's name for the refusal of an unknown one (`bpf_xdp_get_buff_len#188`). */
  readonly helperName?: (id: number) => string | undefined;
}

/** Decodes little-endian (or big-endian) instruction bytes. */
export function decodeProgram(bytes: Uint8Array, littleEndian = true): Program {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new VmError("BAD_PROGRAM", `program is ${bytes.length} bytes, not a whole number of instructions`);
  }
  const length = bytes.length / INSN_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program = {
    length,
    code: new Uint8Array(length),
    dst: new Uint8Array(length),
    src: new Uint8Array(length),
    off: new Int16Array(length),
    imm: new Int32Array(length),
  };
  for (let i = 0; i < length; i++) {
    const at = i * INSN_SIZE;
    program.code[i] = bytes[at]!;
    const regs = bytes[at + 1]!;
    program.dst[i] = littleEndian ? regs & 0xf : regs >>> 4;
    program.src[i] = littleEndian ? regs >>> 4 : regs & 0xf;
    program.off[i] = view.getInt16(at + 2, littleEndian);
    program.imm[i] = view.getInt32(at + 4, littleEndian);
  }
  return program;
}

const MAX_REGISTER = 10;
const FRAME_POINTER = 10;
const CALLER_SAVED = 0b111110; // r1-r5
const ALL_REGISTERS = 0x7ff;

/** Runs the structural checks; throws VmError (BAD_PROGRAM, UNINITIALIZED) naming the instruction. */
export function checkProgram(p: Program, options: CheckOptions = {}): void {
  if (p.length === 0) throw new VmError("BAD_PROGRAM", "empty program");
  // Second halves of LD_IMM64: not instructions of their own, never jump targets.
  const secondHalf = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const bad = (message: string): never => {
      throw new VmError("BAD_PROGRAM", message, { pc: i });
    };
    if (secondHalf[i]) continue;
    const code = p.code[i]!;
    const dst = p.dst[i]!;
    const src = p.src[i]!;
    const off = p.off[i]!;
    const imm = p.imm[i]!;
    if (dst > MAX_REGISTER) bad(`R${dst} is invalid`);
    if (src > MAX_REGISTER) bad(`R${src} is invalid`);
    const cls = code & 0x07;
    const op = code & 0xf0;
    const x = (code & SRC_X) !== 0;
    switch (cls) {
      case CLS_ALU:
      case CLS_ALU64: {
        const wide = cls === CLS_ALU64;
        if (op === ALU_NEG) {
          if (x || src !== 0 || off !== 0 || imm !== 0) bad("BPF_NEG uses reserved fields");
        } else if (op === ALU_END) {
          if ((wide && x) || src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64)) {
            bad("BPF_END uses reserved fields");
          }
        } else if (op === ALU_MOV) {
          const signExtend = wide ? off === 8 || off === 16 || off === 32 : off === 8 || off === 16;
          if (x ? imm !== 0 || (off !== 0 && !signExtend) : src !== 0 || off !== 0) bad("BPF_MOV uses reserved fields");
        } else if (op <= ALU_ARSH) {
          const signedOk = (op === ALU_DIV || op === ALU_MOD) && off === 1;
          if ((x ? imm !== 0 : src !== 0) || (off !== 0 && !signedOk)) bad("BPF_ALU uses reserved fields");
        } else {
          bad(`unknown opcode ${hex(code)}`);
        }
        if (dst === FRAME_POINTER) bad("frame pointer is read only");
        break;
      }
      case CLS_JMP:
      case CLS_JMP32: {
        if (op === JMP_CALL) {
          if (cls !== CLS_JMP || x) bad(`unknown opcode ${hex(code)}`);
          if (dst !== 0 || off !== 0 || (src !== CALL_HELPER && src !== CALL_LOCAL))
            bad("BPF_CALL uses reserved fields");
          if (src === CALL_LOCAL) target(p, i, i + imm + 1, secondHalf, bad);
          else if (options.knownHelper && !options.knownHelper(imm))
            bad(`unknown helper ${options.helperName?.(imm) ?? ""}#${imm} (not provided by the VM)`);
        } else if (op === JMP_EXIT) {
          if (cls !== CLS_JMP || x || dst !== 0 || src !== 0 || off !== 0 || imm !== 0)
            bad("BPF_EXIT uses reserved fields");
        } else if (op === JMP_JA) {
          if (x || dst !== 0 || src !== 0 || (cls === CLS_JMP ? imm !== 0 : off !== 0))
            bad("BPF_JA uses reserved fields");
          target(p, i, i + (cls === CLS_JMP ? off : imm) + 1, secondHalf, bad);
        } else if (op <= 0xd0) {
          if (x ? imm !== 0 : src !== 0) bad("BPF_JMP uses reserved fields");
          target(p, i, i + off + 1, secondHalf, bad);
        } else {
          bad(`unknown opcode ${hex(code)}`);
        }
        break;
      }
      case CLS_LD: {
        if (code === LD_IMM64) {
          const next = i + 1;
          if (next >= p.length || p.code[next] !== 0 || p.dst[next] !== 0 || p.src[next] !== 0 || p.off[next] !== 0) {
            bad("invalid bpf_ld_imm64 insn");
          }
          if (src !== 0 || off !== 0) bad(`LD_IMM64 with source ${src} (unresolved pseudo source) or reserved fields`);
          if (dst === FRAME_POINTER) bad("frame pointer is read only");
          secondHalf[next] = 1;
        } else if ((code & 0xe0) === MODE_ABS || (code & 0xe0) === MODE_IND) {
          if ((code & 0x18) === SIZE_DW || dst !== 0 || off !== 0 || ((code & 0xe0) === MODE_ABS && src !== 0)) {
            bad("BPF_LD_[ABS|IND] uses reserved fields");
          }
        } else {
          bad(`unknown opcode ${hex(code)}`);
        }
        break;
      }
      case CLS_LDX: {
        const mode = code & 0xe0;
        if (mode !== MODE_MEM && !(mode === MODE_MEMSX && (code & 0x18) !== SIZE_DW))
          bad(`unknown opcode ${hex(code)}`);
        if (imm !== 0) bad("BPF_LDX uses reserved fields");
        if (dst === FRAME_POINTER) bad("frame pointer is read only");
        break;
      }
      case CLS_ST:
        if ((code & 0xe0) !== MODE_MEM) bad(`unknown opcode ${hex(code)}`);
        if (src !== 0) bad("BPF_ST uses reserved fields");
        break;
      case CLS_STX: {
        const mode = code & 0xe0;
        if (mode === MODE_MEM) {
          if (imm !== 0) bad("BPF_STX uses reserved fields");
        } else if (mode === MODE_ATOMIC) {
          const size = code & 0x18;
          if (size !== SIZE_DW && size !== 0) bad(`unknown opcode ${hex(code)}`);
          const base = imm & ~ATOMIC_FETCH;
          const valid = imm === ATOMIC_XCHG || imm === ATOMIC_CMPXCHG || [ALU_ADD, 0x40, 0x50, 0xa0].includes(base);
          if (!valid || (imm & ~0xf1) !== 0) bad(`BPF_ATOMIC uses invalid atomic opcode ${hex(imm)}`);
          // A fetching atomic writes the old value into its source register (cmpxchg into r0).
          if (imm & ATOMIC_FETCH && imm !== ATOMIC_CMPXCHG && src === FRAME_POINTER) bad("frame pointer is read only");
        } else {
          bad(`unknown opcode ${hex(code)}`);
        }
        break;
      }
    }
  }
  for (const start of p.callbackStarts ?? []) {
    target(p, -1, start, secondHalf, (message) => {
      throw new VmError("BAD_PROGRAM", `callback: ${message}`);
    });
  }
  checkSubprograms(p, secondHalf);
  checkInitialized(p, secondHalf, options.initialized ?? [1]);
}

/** First instruction of each subprogram: 0, every bpf-to-bpf call target and every callback, ascending. */
export function subprogramStarts(p: Program): number[] {
  const starts = new Set([0, ...(p.callbackStarts ?? [])]);
  for (let i = 0; i < p.length; i++) {
    if (p.code[i] === (CLS_JMP | JMP_CALL) && p.src[i] === CALL_LOCAL) starts.add(i + p.imm[i]! + 1);
    if (p.code[i] === LD_IMM64) i++;
  }
  return [...starts].sort((a, b) => a - b);
}

/** The kernel's subprogram rules: jumps stay inside their subprogram, and each one ends in an exit or a jump. */
function checkSubprograms(p: Program, secondHalf: Uint8Array): void {
  const starts = subprogramStarts(p);
  starts.forEach((start, k) => {
    const end = starts[k + 1] ?? p.length;
    for (let i = start; i < end; i++) {
      if (secondHalf[i]) continue;
      const code = p.code[i]!;
      const cls = code & 0x07;
      const op = code & 0xf0;
      if ((cls !== CLS_JMP && cls !== CLS_JMP32) || op === JMP_CALL || op === JMP_EXIT) continue;
      const to = i + (op === JMP_JA && cls === CLS_JMP32 ? p.imm[i]! : p.off[i]!) + 1;
      if (to < start || to >= end) {
        throw new VmError("BAD_PROGRAM", `jump out of range from insn ${i} to ${to}`, { pc: i });
      }
    }
    const last = end - 1;
    const lastCode = secondHalf[last] ? -1 : p.code[last]!;
    if (lastCode !== (CLS_JMP | JMP_EXIT) && lastCode !== (CLS_JMP | JMP_JA) && lastCode !== (CLS_JMP32 | JMP_JA)) {
      throw new VmError("BAD_PROGRAM", "last insn is not an exit or jmp", { pc: last });
    }
  });
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function target(p: Program, from: number, to: number, secondHalf: Uint8Array, bad: (m: string) => never): void {
  if (to < 0 || to >= p.length) bad(`jump out of range from insn ${from} to ${to}`);
  // Halves later in the program are marked as the scan reaches them; check the pair shape directly.
  if (secondHalf[to] || (to > 0 && p.code[to - 1] === LD_IMM64 && !secondHalf[to - 1])) {
    bad(`jump into the middle of ldimm64 insn ${to - 1}`);
  }
}

/** Registers an instruction reads, as a bit mask (r10 is always readable). */
function reads(p: Program, i: number): number {
  const code = p.code[i]!;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const dst = 1 << p.dst[i]!;
  const src = 1 << p.src[i]!;
  const x = (code & SRC_X) !== 0;
  switch (cls) {
    case CLS_ALU:
    case CLS_ALU64:
      if (op === ALU_MOV) return x ? src : 0;
      if (op === ALU_NEG || op === ALU_END) return dst;
      return dst | (x ? src : 0);
    case CLS_JMP:
    case CLS_JMP32:
      if (op === JMP_JA || op === JMP_CALL) return 0; // a call's arguments are whatever the callee reads
      if (op === JMP_EXIT) return 1; // r0
      return dst | (x ? src : 0);
    case CLS_LD:
      if (code === LD_IMM64) return 0;
      return (1 << 6) | ((code & 0xe0) === MODE_IND ? src : 0); // legacy packet loads read the skb in r6
    case CLS_LDX:
      return src;
    case CLS_ST:
      return dst;
    default: // STX
      return dst | src | ((code & 0xe0) === MODE_ATOMIC && p.imm[i] === ATOMIC_CMPXCHG ? 1 : 0);
  }
}

/**
 * Forward data flow over "which registers hold a value" (intersection at joins): reading one that may not is
 * refused, as the kernel refuses it. A local call starts its callee with r1-r5 as the call site had them, and
 * leaves r0 set and r1-r5 unset in the caller; a helper call does the same.
 */
function checkInitialized(p: Program, secondHalf: Uint8Array, initialized: readonly number[]): void {
  const UNSEEN = -1;
  const state = new Int32Array(p.length).fill(UNSEEN);
  const work: number[] = [];
  const enter = (pc: number, mask: number) => {
    const before = state[pc]!;
    const merged = before === UNSEEN ? mask : before & mask;
    if (merged !== before) {
      state[pc] = merged;
      work.push(pc);
    }
  };
  let entry = 1 << 10;
  for (const r of initialized) entry |= 1 << r;
  enter(0, entry);
  // A callback's helper passes it up to five arguments (bpf_for_each_map_elem: map, key, value, context).
  for (const start of p.callbackStarts ?? []) enter(start, CALLER_SAVED | (1 << 10));
  while (work.length > 0) {
    const i = work.pop()!;
    const mask = state[i]!;
    const needed = reads(p, i) & ~(1 << 10);
    const missing = needed & ~mask;
    if (missing) {
      const reg = 31 - Math.clz32(missing & -missing);
      throw new VmError("UNINITIALIZED", `R${reg} !read_ok`, { pc: i });
    }
    const code = p.code[i]!;
    const cls = code & 0x07;
    const op = code & 0xf0;
    const dstBit = 1 << p.dst[i]!;
    if (cls === CLS_JMP || cls === CLS_JMP32) {
      if (op === JMP_EXIT) continue;
      if (op === JMP_CALL) {
        if (p.src[i] === CALL_LOCAL) enter(i + p.imm[i]! + 1, (mask & CALLER_SAVED) | (1 << 10));
        enter(i + 1, (mask & ~CALLER_SAVED) | 1);
        continue;
      }
      const jump = i + (op === JMP_JA && cls === CLS_JMP32 ? p.imm[i]! : p.off[i]!) + 1;
      enter(jump, mask);
      if (op !== JMP_JA) enter(i + 1, mask);
      continue;
    }
    let after = mask;
    if (cls === CLS_ALU || cls === CLS_ALU64 || cls === CLS_LDX || code === LD_IMM64) after |= dstBit;
    else if (cls === CLS_LD)
      after = (after & ~CALLER_SAVED) | 1; // legacy packet loads set r0, clobber r1-r5
    else if (cls === CLS_STX && (code & 0xe0) === MODE_ATOMIC && p.imm[i]! & ATOMIC_FETCH) {
      after |= p.imm[i] === ATOMIC_CMPXCHG ? 1 : 1 << p.src[i]!;
    }
    const next = code === LD_IMM64 ? i + 2 : i + 1;
    if (next < p.length && !secondHalf[next]) enter(next, after & ALL_REGISTERS);
  }
}
