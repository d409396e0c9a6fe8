// Seeded random BPF programs that the kernel verifier accepts (almost always), for differential tests of the VM
// against the kernel and of the two VM engines against each other (test/vm-differential.test.ts,
// test/vm-fuzz.test.ts). A program is a sequence of units, each from one instruction family (ALU, division,
// byte swaps, stack loads/stores, atomics, forward jumps, packet and context reads, map helper calls); a unit is
// never entered in its middle, so jumps only target unit boundaries. The generator tracks which registers hold
// scalars (intersected where jumps join) and reads only those, so every register is initialised before use, no
// pointer ever reaches r0, a map or the packet, and every stack byte is written before it is read.
//
// Every program ends in the same epilogue: r0-r8 are dumped to the stack, r0 becomes a hash of the dump and of
// the scratch stack (so a wrong bit anywhere shows in the return value), and an XDP program copies the dump into
// the packet when it has room (so data_out shows which register differs).
//
// The program of (seed, index) is always the same: `randomProgram(seed, index)` replays one.
//

import {
  AluOp,
  AtomicOp,
  alu32Imm,
  alu32Reg,
  alu64Imm,
  alu64Reg,
  atomic,
  bswap,
  call,
  decodeInstructions,
  disassemble,
  encodeInstructions,
  exit,
  gotol,
  type Instruction,
  JmpOp,
  ja,
  jmp32Imm,
  jmp32Reg,
  jmpImm,
  jmpReg,
  LD_IMM64,
  ldImm64,
  ldMapFd,
  ldxMem,
  ldxMemsx,
  mov64Imm,
  mov64Reg,
  PseudoLd,
  R0,
  R1,
  R2,
  R3,
  R4,
  R9,
  R10,
  type Register,
  Size,
  stMem,
  stxMem,
  toBe,
  toLe,
} from "@bpfkit/asm";
import { seededRandom } from "./mutate.js";

export const ProgType = { SOCKET_FILTER: 1, XDP: 6 } as const;
export const MapType = { HASH: 1, ARRAY: 2 } as const;
const Helper = { lookup: 1, update: 2, delete: 3 } as const;
const GOTOL = gotol(0).opcode;

/** A map the program refers to: LD_IMM64 src=1 (BPF_PSEUDO_MAP_FD) with imm = its index in `maps`. */
export interface MapSpec {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly name: string;
}

export type ProgramKind = "straight" | "branchy" | "maps";

export interface RandomProgram {
  readonly seed: number;
  readonly index: number;
  readonly kind: ProgramKind;
  readonly progType: number;
  /** Map references hold the map's index in `maps` until `programBytes` binds them. */
  readonly insns: readonly Instruction[];
  readonly maps: readonly MapSpec[];
}

const ARRAY_MAP: MapSpec = { mapType: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, name: "rnd_array" };
const HASH_MAP: MapSpec = { mapType: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 4, name: "rnd_hash" };

// Stack layout (offsets from r10): scratch slots the random units use, a map key, a map value for updates, and
// the register dump of the epilogue.
const SCRATCH_BYTES = 64;
const KEY_AT = -72;
const VALUE_AT = -88;
const DUMP_AT = -160;
/** Packet bytes the packet units read and write; the epilogue copies the register dump after them. */
const PACKET_UNIT_BYTES = 80;
/** Packets at least this long get the register dump. */
export const PACKET_DUMP_END = PACKET_UNIT_BYTES + 8 * 9;

/** r0-r8 hold scalars; r9 keeps the context (r1 at entry); r10 is the frame pointer. */
const SCALAR_REGS = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
const CTX = R9;
const ALL = 0x1ff;
/** Registers a helper call clobbers (r1-r5) plus r0, which holds its result. */
const CALL_CLOBBERS = 0x3f;

const INTERESTING32 = [
  0, 1, -1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
  -0x80000000, -2, -8, -0x8000, -0x80,
];
const INTERESTING64 = [
  0n,
  1n,
  -1n,
  0x7fffffffffffffffn,
  -0x8000000000000000n,
  0xffffffffn,
  0x100000000n,
  0x80000000n,
  -0x80000000n,
  0xffffffff00000000n,
  0x123456789abcdef0n,
];

const ALU_OPS = [
  AluOp.ADD,
  AluOp.SUB,
  AluOp.MUL,
  AluOp.OR,
  AluOp.AND,
  AluOp.XOR,
  AluOp.LSH,
  AluOp.RSH,
  AluOp.ARSH,
  AluOp.MOV,
] as const;
const SHIFTS = new Set<number>([AluOp.LSH, AluOp.RSH, AluOp.ARSH]);
const JMP_OPS = [
  JmpOp.JEQ,
  JmpOp.JNE,
  JmpOp.JGT,
  JmpOp.JGE,
  JmpOp.JLT,
  JmpOp.JLE,
  JmpOp.JSGT,
  JmpOp.JSGE,
  JmpOp.JSLT,
  JmpOp.JSLE,
  JmpOp.JSET,
] as const;
const SIZES = [
  [Size.B, 1],
  [Size.H, 2],
  [Size.W, 4],
  [Size.DW, 8],
] as const;

interface Unit {
  readonly insns: Instruction[];
  /** Unit index the unit's last instruction (a jump) goes to; its offset is set once the layout is known. */
  jumpTo?: number;
}

/** Builds one program unit by unit, tracking which registers hold scalars. */
class Builder {
  readonly units: Unit[] = [];
  /** Bit r set: register r holds a scalar on every path reaching the current point. */
  scalars = 0;
  /** False right after an unconditional jump (the next unit is reached only by jumps). */
  reachable = true;
  /** Scalars on the jumps into a unit not yet emitted, intersected. */
  private readonly incoming = new Map<number, number>();

  constructor(
    readonly rand: () => number,
    readonly progType: number,
    readonly maps: readonly MapSpec[],
    /** Families of straight-line code (for the branches of if/else). */
    readonly straight: readonly Family[],
  ) {}

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  imm32(): number {
    return this.chance(0.5) ? this.pick(INTERESTING32) : (this.int(2 ** 32) | 0) >> this.int(32);
  }

  imm64(): bigint {
    if (this.chance(0.4)) return this.pick(INTERESTING64);
    return (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32));
  }

  isScalar(r: Register): boolean {
    return ((this.scalars >> r) & 1) === 1;
  }

  define(r: Register): void {
    this.scalars |= 1 << r;
  }

  /** A register holding a scalar, from `among` (default r0-r8); one is initialised first if none is. */
  scalar(prefix: Instruction[], among: readonly Register[] = SCALAR_REGS): Register {
    const set = among.filter((r) => this.isScalar(r));
    if (set.length > 0) return this.pick(set);
    const r = this.pick(among);
    prefix.push(mov64Imm(r, this.imm32()));
    this.define(r);
    return r;
  }

  /** Any of r0-r8 (a destination that is written, not read). */
  anyReg(): Register {
    return this.pick(SCALAR_REGS);
  }

  /** Starts the next unit: the registers scalar on every path into it. */
  begin(): void {
    const index = this.units.length;
    const jumps = this.incoming.get(index);
    if (jumps === undefined) return;
    this.incoming.delete(index);
    this.scalars = this.reachable ? this.scalars & jumps : jumps;
    this.reachable = true;
  }

  emit(insns: Instruction[]): void {
    this.units.push({ insns });
  }

  /** Emits a unit ending in a jump over the next `skip` units (0: to the next one). */
  emitJump(insns: Instruction[], skip: number, conditional: boolean): void {
    const target = this.units.length + 1 + skip;
    this.units.push({ insns, jumpTo: target });
    const before = this.incoming.get(target);
    this.incoming.set(target, before === undefined ? this.scalars : before & this.scalars);
    if (!conditional) {
      this.reachable = false;
      this.scalars = ALL; // only jumps reach the next unit: begin() takes what they carry
    }
  }

  /** Jumps aimed past the last unit land on the epilogue: merge them there. */
  finish(): void {
    const end = this.units.length;
    for (const [target, jumps] of this.incoming) {
      if (target < end) continue;
      this.scalars = this.reachable ? this.scalars & jumps : jumps;
      this.reachable = true;
    }
    this.incoming.clear();
    for (const unit of this.units) if (unit.jumpTo !== undefined && unit.jumpTo > end) unit.jumpTo = end;
  }
}

// Instruction families: each adds one unit. -------------------------------------------------------------------

/** `dst op= imm|src`, 64 or 32 bits; shifts by an immediate stay below the width, by a register they do not. */
function aluUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const wide = b.chance(0.5);
  const op = b.pick(ALU_OPS);
  const dst = op === AluOp.MOV ? b.anyReg() : b.scalar(insns);
  if (b.chance(0.5)) {
    const imm = SHIFTS.has(op) ? b.int(wide ? 64 : 32) : b.imm32();
    insns.push(wide ? alu64Imm(op, dst, imm) : alu32Imm(op, dst, imm));
  } else {
    const src = b.scalar(insns);
    insns.push(wide ? alu64Reg(op, dst, src) : alu32Reg(op, dst, src));
  }
  b.define(dst);
  b.emit(insns);
}

/** Unsigned and signed (off 1) division and modulo; a register divisor is sometimes set to 0 or -1 first. */
function divModUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const wide = b.chance(0.5);
  const op = b.chance(0.5) ? AluOp.DIV : AluOp.MOD;
  const off = b.chance(0.5) ? 1 : 0;
  const dst = b.scalar(insns);
  if (b.chance(0.4)) {
    let imm = b.imm32();
    if (imm === 0) imm = b.pick([1, -1, 3, -7]);
    insns.push(wide ? alu64Imm(op, dst, imm, off) : alu32Imm(op, dst, imm, off));
  } else {
    const src = b.scalar(insns);
    if (b.chance(0.3)) insns.push(mov64Imm(src, b.pick([0, 0, -1, 1])));
    insns.push(wide ? alu64Reg(op, dst, src, off) : alu32Reg(op, dst, src, off));
  }
  b.define(dst);
  b.emit(insns);
}

/** neg, sign-extending moves (movsx), byte order conversions (le/be) and unconditional byte swaps (bswap). */
function unaryUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const which = b.int(4);
  if (which === 0) {
    const dst = b.scalar(insns);
    insns.push(b.chance(0.5) ? alu64Imm(AluOp.NEG, dst, 0) : alu32Imm(AluOp.NEG, dst, 0));
    b.define(dst);
  } else if (which === 1) {
    const src = b.scalar(insns);
    const dst = b.anyReg();
    insns.push(
      b.chance(0.5)
        ? alu64Reg(AluOp.MOV, dst, src, b.pick([8, 16, 32]))
        : alu32Reg(AluOp.MOV, dst, src, b.pick([8, 16])),
    );
    b.define(dst);
  } else {
    const dst = b.scalar(insns);
    const bits = b.pick([16, 32, 64] as const);
    insns.push(which === 2 ? (b.chance(0.5) ? toLe(dst, bits) : toBe(dst, bits)) : bswap(dst, bits));
    b.define(dst);
  }
  b.emit(insns);
}

function ldImm64Unit(b: Builder): void {
  const dst = b.anyReg();
  b.emit([ldImm64(dst, b.imm64())]);
  b.define(dst);
}

/** A constant stack offset in the scratch area, aligned to `bytes`. */
function scratchOffset(b: Builder, bytes: number): number {
  return -SCRATCH_BYTES + bytes * b.int(SCRATCH_BYTES / bytes);
}

function stackStoreUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const [size, bytes] = b.pick(SIZES);
  const off = scratchOffset(b, bytes);
  insns.push(b.chance(0.4) ? stMem(size, R10, off, b.imm32()) : stxMem(size, R10, b.scalar(insns), off));
  b.emit(insns);
}

/** Loads of every size, and sign-extending loads (ldsx) of 1, 2 and 4 bytes. */
function stackLoadUnit(b: Builder): void {
  const [size, bytes] = b.pick(SIZES);
  const off = scratchOffset(b, bytes);
  const dst = b.anyReg();
  b.emit([bytes < 8 && b.chance(0.5) ? ldxMemsx(size, dst, R10, off) : ldxMem(size, dst, R10, off)]);
  b.define(dst);
}

/** add/or/and/xor with and without fetch, xchg and cmpxchg (r0 compared and loaded), 32 and 64 bits. */
function stackAtomicUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const [size, bytes] = b.chance(0.5) ? ([Size.DW, 8] as const) : ([Size.W, 4] as const);
  const off = scratchOffset(b, bytes);
  const op = b.pick([
    AtomicOp.ADD,
    AtomicOp.OR,
    AtomicOp.AND,
    AtomicOp.XOR,
    AtomicOp.ADD | AtomicOp.FETCH,
    AtomicOp.OR | AtomicOp.FETCH,
    AtomicOp.AND | AtomicOp.FETCH,
    AtomicOp.XOR | AtomicOp.FETCH,
    AtomicOp.XCHG,
    AtomicOp.CMPXCHG,
  ]);
  if (op === AtomicOp.CMPXCHG && !b.isScalar(R0)) {
    insns.push(mov64Imm(R0, b.imm32()));
    b.define(R0);
  }
  const src = b.scalar(insns);
  insns.push(atomic(size, op, R10, src, off));
  b.emit(insns);
}

/** A forward conditional jump (JMP or JMP32, every compare, immediate or register) over 0-4 units. */
function condJumpUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const op = b.pick(JMP_OPS);
  const wide = b.chance(0.5);
  const dst = b.scalar(insns);
  if (b.chance(0.5)) {
    const imm = b.imm32();
    insns.push(wide ? jmpImm(op, dst, imm, 0) : jmp32Imm(op, dst, imm, 0));
  } else {
    const src = b.scalar(insns);
    insns.push(wide ? jmpReg(op, dst, src, 0) : jmp32Reg(op, dst, src, 0));
  }
  b.emitJump(insns, b.int(5), true);
}

/**
 * if/else: a conditional jump to the else branch, 1-3 then-units ending in `goto` or `gotol` (JMP32|JA, offset
 * in imm) past the 0-3 else-units. The kernel refuses code no path reaches ("unreachable insn"), so an
 * unconditional jump only ever skips code that the conditional jump reaches.
 */
function ifElseUnit(b: Builder): void {
  const thenCount = 1 + b.int(3);
  const elseCount = b.int(4);
  const insns: Instruction[] = [];
  const dst = b.scalar(insns);
  const op = b.pick(JMP_OPS);
  insns.push(b.chance(0.5) ? jmpImm(op, dst, b.imm32(), 0) : jmp32Reg(op, dst, b.scalar(insns), 0));
  b.emitJump(insns, thenCount + 1, true);
  for (let i = 0; i < thenCount; i++) {
    b.begin();
    b.pick(b.straight)(b);
  }
  b.begin();
  b.emitJump([b.chance(0.5) ? ja(0) : gotol(0)], elseCount, false);
  for (let i = 0; i < elseCount; i++) {
    b.begin();
    b.pick(b.straight)(b);
  }
}

const PACKET_REGS = [0, 4, 5, 6, 7, 8] as const;

/**
 * r1 = data, r2 = data_end, r3 = r1 + end of the access, then the access only when r3 <= r2 (both compare
 * forms the verifier understands). r1-r3 hold pointers afterwards.
 */
function packetChecked(b: Builder, off: number, bytes: number, access: Instruction[]): Instruction[] {
  const insns = [
    ldxMem(Size.W, R1, CTX, 0),
    ldxMem(Size.W, R2, CTX, 4),
    mov64Reg(R3, R1),
    alu64Imm(AluOp.ADD, R3, off + bytes),
    b.chance(0.5) ? jmpReg(JmpOp.JGT, R3, R2, access.length) : jmpReg(JmpOp.JLT, R2, R3, access.length),
    ...access,
  ];
  b.scalars &= ~0b1110;
  return insns;
}

/** XDP: a bounds-checked packet load (maybe sign-extending) in the first 80 bytes, some past short packets. */
function packetReadUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const [size, bytes] = b.pick(SIZES);
  const off = b.int(PACKET_UNIT_BYTES + 1 - bytes);
  const dst = b.pick(PACKET_REGS);
  // the destination keeps its value when the check fails: it must hold one already
  if (!b.isScalar(dst)) insns.push(mov64Imm(dst, b.imm32()));
  const load = bytes < 8 && b.chance(0.3) ? ldxMemsx(size, dst, R1, off) : ldxMem(size, dst, R1, off);
  insns.push(...packetChecked(b, off, bytes, [load]));
  b.define(dst);
  b.emit(insns);
}

/** XDP: a bounds-checked packet store of an immediate or a scalar register. */
function packetWriteUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const [size, bytes] = b.pick(SIZES);
  const off = b.int(PACKET_UNIT_BYTES + 1 - bytes);
  const store = b.chance(0.4) ? stMem(size, R1, off, b.imm32()) : stxMem(size, R1, b.scalar(insns, PACKET_REGS), off);
  insns.push(...packetChecked(b, off, bytes, [store]));
  b.emit(insns);
}

/** Context fields a test run fills the same way in the kernel and the VM. */
const CTX_FIELDS: Record<number, readonly number[]> = {
  [ProgType.XDP]: [12, 16], // ingress_ifindex, rx_queue_index
  [ProgType.SOCKET_FILTER]: [0, 4, 16, 36, 40], // len, pkt_type, protocol, ingress_ifindex, ifindex
};

function ctxReadUnit(b: Builder): void {
  const dst = b.anyReg();
  b.emit([ldxMem(Size.W, dst, CTX, b.pick(CTX_FIELDS[b.progType]!))]);
  b.define(dst);
}

/** Stores the key of `map` at KEY_AT: a small constant, or a scalar register masked to 0-7. */
function storeKey(b: Builder, map: MapSpec, insns: Instruction[]): void {
  const size = map.keySize === 8 ? Size.DW : Size.W;
  if (b.chance(0.6)) {
    insns.push(stMem(size, R10, KEY_AT, b.int(map.maxEntries + 2)));
  } else {
    const r = b.scalar(insns);
    insns.push(alu64Imm(AluOp.AND, r, 7), stxMem(size, R10, r, KEY_AT));
  }
}

const VALUE_REGS = [6, 7, 8] as const;

/** Loads, stores and atomic adds/xchg on the value r0 points to (registers r6-r8, which survive the call). */
function valueOps(b: Builder, map: MapSpec, insns: Instruction[]): Instruction[] {
  const ops: Instruction[] = [];
  const count = 1 + b.int(3);
  for (let i = 0; i < count; i++) {
    const [size, bytes] = b.pick(SIZES);
    const off = bytes * b.int(map.valueSize / bytes);
    const r = b.scalar(insns, VALUE_REGS);
    const which = b.int(5);
    if (which === 0) ops.push(ldxMem(size, r, R0, off));
    else if (which === 1) ops.push(stxMem(size, R0, r, off));
    else if (which === 2) ops.push(stMem(size, R0, off, b.imm32()));
    else {
      const wide = b.chance(0.5);
      const op = b.pick([AtomicOp.ADD, AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.OR | AtomicOp.FETCH]);
      ops.push(atomic(wide ? Size.DW : Size.W, op, R0, r, wide ? off & ~7 : off & ~3));
    }
  }
  return ops;
}

/**
 * map_lookup_elem (then a null check and accesses to the value), map_update_elem (flags 0-2, sometimes 3-7,
 * which the kernel refuses) or map_delete_elem, on the array or the hash map, with the key (and value) on the stack.
 */
function mapUnit(b: Builder): void {
  const insns: Instruction[] = [];
  const index = b.int(b.maps.length);
  const map = b.maps[index]!;
  const helper = b.pick([Helper.lookup, Helper.lookup, Helper.update, Helper.update, Helper.delete]);
  storeKey(b, map, insns);
  if (helper === Helper.update) {
    for (let at = 0; at < map.valueSize; at += 8) {
      insns.push(
        b.chance(0.3)
          ? stMem(Size.DW, R10, VALUE_AT + at, b.imm32())
          : stxMem(Size.DW, R10, b.scalar(insns), VALUE_AT + at),
      );
    }
  }
  const ops = helper === Helper.lookup ? valueOps(b, map, insns) : [];
  insns.push(mov64Reg(R2, R10), alu64Imm(AluOp.ADD, R2, KEY_AT), ldMapFd(R1, index));
  if (helper === Helper.update) {
    // ANY, NOEXIST, EXIST mostly; now and then an invalid combination or BPF_F_LOCK (EINVAL without a spin lock)
    insns.push(
      mov64Reg(R3, R10),
      alu64Imm(AluOp.ADD, R3, VALUE_AT),
      mov64Imm(R4, b.chance(0.85) ? b.int(3) : b.int(8)),
    );
  }
  insns.push(call(helper));
  if (helper === Helper.lookup) insns.push(jmpImm(JmpOp.JEQ, R0, 0, ops.length), ...ops);
  b.scalars &= ~CALL_CLOBBERS;
  if (helper !== Helper.lookup) b.define(R0); // 0 or a negative errno
  b.emit(insns);
}

// Prologue and epilogue ---------------------------------------------------------------------------------------

/** r9 = ctx; r0-r8 get values; every scratch stack slot is written. */
function prologue(b: Builder): void {
  const insns: Instruction[] = [mov64Reg(CTX, R1)];
  for (const r of SCALAR_REGS) {
    const how = b.int(3);
    insns.push(
      how === 0 ? ldImm64(r, b.imm64()) : how === 1 ? alu32Imm(AluOp.MOV, r, b.imm32()) : mov64Imm(r, b.imm32()),
    );
    b.define(r);
  }
  for (let off = -8; off >= -SCRATCH_BYTES; off -= 8) {
    insns.push(b.chance(0.3) ? stMem(Size.DW, R10, off, b.imm32()) : stxMem(Size.DW, R10, b.pick(SCALAR_REGS), off));
  }
  b.emit(insns);
}

const FNV_PRIME = 0x01000193;

/** Dumps r0-r8, hashes the dump and the scratch stack into r0, copies the dump into an XDP packet with room. */
function epilogue(b: Builder): Instruction[] {
  const insns: Instruction[] = [];
  for (const r of SCALAR_REGS) {
    const off = DUMP_AT + 8 * r;
    insns.push(b.isScalar(r) ? stxMem(Size.DW, R10, r, off) : stMem(Size.DW, R10, off, 0));
  }
  insns.push(mov64Imm(R0, 0x811c9dc5 | 0));
  for (let off = DUMP_AT; off < DUMP_AT + 8 * SCALAR_REGS.length; off += 8) hashSlot(insns, off);
  for (let off = -SCRATCH_BYTES; off < 0; off += 8) hashSlot(insns, off);
  insns.push(mov64Reg(R1, R0), alu64Imm(AluOp.RSH, R1, 32), alu64Reg(AluOp.XOR, R0, R1));
  if (b.progType === ProgType.XDP) {
    // r0-r8 after the bytes the packet units touch
    const copy: Instruction[] = [];
    for (const r of SCALAR_REGS) {
      copy.push(ldxMem(Size.DW, R4, R10, DUMP_AT + 8 * r), stxMem(Size.DW, R2, R4, PACKET_UNIT_BYTES + 8 * r));
    }
    insns.push(
      ldxMem(Size.W, R2, CTX, 0),
      ldxMem(Size.W, R3, CTX, 4),
      mov64Reg(R1, R2),
      alu64Imm(AluOp.ADD, R1, PACKET_DUMP_END),
      jmpReg(JmpOp.JGT, R1, R3, copy.length),
      ...copy,
    );
  }
  insns.push(exit());
  return insns;
}

function hashSlot(insns: Instruction[], off: number): void {
  insns.push(ldxMem(Size.DW, R1, R10, off), alu64Imm(AluOp.MUL, R0, FNV_PRIME), alu64Reg(AluOp.XOR, R0, R1));
}

// Programs ----------------------------------------------------------------------------------------------------

type Family = (b: Builder) => void;

/** Families of straight-line code, with weights: what if/else branches hold too. */
function straightFamilies(progType: number): Family[] {
  const families: Family[] = [
    aluUnit,
    aluUnit,
    aluUnit,
    aluUnit,
    divModUnit,
    divModUnit,
    unaryUnit,
    unaryUnit,
    ldImm64Unit,
    stackStoreUnit,
    stackStoreUnit,
    stackLoadUnit,
    stackLoadUnit,
    stackAtomicUnit,
    stackAtomicUnit,
    ctxReadUnit,
  ];
  if (progType === ProgType.XDP) families.push(packetReadUnit, packetReadUnit, packetWriteUnit);
  return families;
}

/** Families with weights, per kind of program. */
function familiesFor(kind: ProgramKind, straight: Family[]): Family[] {
  if (kind === "straight") return straight;
  const branchy = [...straight, condJumpUnit, condJumpUnit, condJumpUnit, ifElseUnit, ifElseUnit];
  if (kind === "branchy") return branchy;
  return [...branchy, mapUnit, mapUnit, mapUnit, mapUnit, mapUnit];
}

/** Lays the units out and sets each jump's offset (slots from the next instruction to the target unit). */
function layout(units: readonly Unit[], tail: Instruction[]): Instruction[] {
  const starts: number[] = [];
  let slot = 0;
  for (const unit of units) {
    starts.push(slot);
    for (const insn of unit.insns) slot += insn.opcode === LD_IMM64 ? 2 : 1;
  }
  starts.push(slot);
  const out: Instruction[] = [];
  units.forEach((unit, k) => {
    const insns = [...unit.insns];
    if (unit.jumpTo !== undefined) {
      const last = insns.length - 1;
      const next = starts[k + 1]!; // the jump is the unit's last instruction
      const rel = starts[unit.jumpTo]! - next;
      const jump = insns[last]!;
      insns[last] = jump.opcode === GOTOL ? { ...jump, imm: rel } : { ...jump, off: rel };
    }
    out.push(...insns);
  });
  return [...out, ...tail];
}

/** The per-program seed: (seed, index) mixed so neighbouring indexes give unrelated programs. */
function programSeed(seed: number, index: number): number {
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0 || 1;
}

/** The kinds in turn: a third straight-line, a third branchy, a third with map calls. */
const KINDS: readonly ProgramKind[] = ["straight", "branchy", "maps"];

/** Program `index` of `seed`: the same bytes on every call. */
export function randomProgram(seed: number, index: number): RandomProgram {
  const rand = seededRandom(programSeed(seed, index));
  const kind = KINDS[index % KINDS.length]!;
  const progType = rand() < 0.75 ? ProgType.XDP : ProgType.SOCKET_FILTER;
  const maps = kind === "maps" ? [ARRAY_MAP, HASH_MAP] : [];
  const straight = straightFamilies(progType);
  const b = new Builder(rand, progType, maps, straight);
  const families = familiesFor(kind, straight);
  prologue(b);
  const count = 6 + b.int(30);
  for (let i = 0; i < count; i++) {
    b.begin();
    b.pick(families)(b);
  }
  b.finish();
  const tail = epilogue(b);
  return { seed, index, kind, progType, insns: layout(b.units, tail), maps };
}

/** The program's bytes, its map references bound to `mapFds` (the backend's descriptors, by map index). */
export function programBytes(p: RandomProgram, mapFds: readonly number[]): Uint8Array {
  const bound = p.insns.map((insn) =>
    insn.opcode === LD_IMM64 && insn.src === PseudoLd.MAP_FD ? { ...insn, imm: mapFds[insn.imm]! } : insn,
  );
  return encodeInstructions(bound, "little");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A listing for failure messages: the disassembly (when the bytes decode) and the bytes as hex, 8 per line. */
export function listingOf(bytes: Uint8Array): string {
  let text: string;
  try {
    text = disassemble(decodeInstructions(bytes, "little", { lenient: true })).join("\n");
  } catch (error) {
    text = `(no disassembly: ${(error as Error).message})`;
  }
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 8) lines.push(hex(bytes.subarray(at, at + 8)));
  return `${text}\nhex:\n${lines.join("\n")}`;
}

/** Describes a program for a failure message: seed, index, kind, type, maps, listing (with `bytes` as loaded). */
export function describeProgram(p: RandomProgram, bytes: Uint8Array): string {
  const type = p.progType === ProgType.XDP ? "XDP" : "SOCKET_FILTER";
  const maps = p.maps.map((m, k) => `${m.name} ${JSON.stringify({ ...m, name: undefined })} as map ${k}`).join(", ");
  return `seed ${p.seed} program #${p.index} (${p.kind}, ${type}, maps: ${maps || "none"})\n${listingOf(bytes)}`;
}
