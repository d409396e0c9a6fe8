// Mutation fuzz of the VM's two engines against each other, no kernel needed. Generated programs
// (test/support/random-programs.ts) get seeded mutations (random bytes, opcode/register/offset/immediate fields,
// swapped or dropped instructions) and run through VmBackend with the interpreter and with the compiled engine:
// both must give the same outcome, i.e. the same return values, data_out and map contents, or the same VmError
// code at the same instruction (and address, for a memory fault). Anything other than a VmError (a TypeError, a
// WebAssembly trap) is a crash and fails, and a small instruction budget turns every loop into an error, not a
// hang. Deliberate bad programs (an infinite loop, out-of-bounds reads, an unknown helper, a broken structure)
// must each end in the same typed error in both engines, naming the instruction (and, for faults while running,
// the C line from the line_info given at load).
//
// A BUDGET error names the instruction where the steps ran out in both engines (the compiled one counts whole
// basic blocks and works the instruction out when the budget is exceeded).
//
// Seeds: a fixed one, and a fresh one per run (BPFKIT_VM_SEED, else the time), printed with how to replay it.

import {
  AluOp,
  alu64Imm,
  call,
  encodeInstructions,
  exit,
  JmpOp,
  ja,
  jmpImm,
  ldxMem,
  mov64Imm,
  R0,
  R1,
  R2,
  R10,
  Size,
} from "@bpfkit/asm";
import type { Fd, InsnSourceLine } from "@bpfkit/loader";
import { VmBackend, type VmEngine, VmError } from "@bpfkit/vm";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./support/mutate.js";
import { ipv4Packet } from "./support/packets.js";
import { listingOf, programBytes, type RandomProgram, randomProgram } from "./support/random-programs.js";

const FIXED_SEED = 0xf022_b9f;
const FRESH_SEED = Number(process.env.BPFKIT_VM_SEED ?? Date.now() % 0x7fffffff);
/** Programs per seed (BPFKIT_VM_PROGRAMS for a longer hunt). */
const PROGRAMS = Number(process.env.BPFKIT_VM_PROGRAMS ?? 200);
const MUTANTS = 10;
/** Small, so a mutant that loops costs little. */
const BUDGET = 20_000;
const ENGINES: readonly VmEngine[] = ["interpreter", "compiled"];
const PACKETS = [ipv4Packet(17), Uint8Array.from({ length: 14 }, (_, i) => i * 17)];
const XDP = 6;
/** Helpers whose results depend on the clock: their callers' values are not compared. */
const CLOCK_HELPERS = new Set([5, 118, 125, 160, 208]);

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A VmError as compared between the engines; anything else is rethrown (a crash). */
function errorKey(error: unknown): string {
  if (!(error instanceof VmError)) throw error;
  const address = error.address === undefined ? "" : ` address 0x${error.address.toString(16)}`;
  const errno = error.errno === undefined ? "" : ` errno ${error.errno}`;
  return `VmError ${error.code} at insn ${error.pc}${address}${errno}`;
}

/** What one engine makes of a program: load, runs on every packet, then the maps (one string each). */
function outcome(engine: VmEngine, maps: RandomProgram["maps"], progType: number, insns: Uint8Array): string[] {
  const vm = new VmBackend({ engine, budget: BUDGET, seed: 1 });
  const handles: Fd[] = [];
  try {
    const fds = maps.map((m) => vm.createMap(m));
    handles.push(...fds);
    let fd: Fd;
    try {
      fd = vm.loadProgram({ progType, insns, license: "GPL" }).fd;
    } catch (error) {
      return [`load: ${errorKey(error)}`];
    }
    handles.push(fd);
    const runs = PACKETS.map((dataIn) => {
      try {
        const r = vm.testRun(fd, { dataIn });
        return `retval ${r.retval} data_out ${hex(r.dataOut)}`;
      } catch (error) {
        if (error instanceof VmError && error.pc === undefined && error.code !== "TEST_RUN") {
          throw new Error(`a ${error.code} error without an instruction: ${error.message}`);
        }
        return `run: ${errorKey(error)}`;
      }
    });
    const contents = fds.map((m, k) => {
      const entries: string[] = [];
      const next = new Uint8Array(maps[k]!.keySize);
      const value = new Uint8Array(maps[k]!.valueSize);
      let key: Uint8Array | null = null;
      while (vm.mapGetNextKey(m, key, next)) {
        key = next.slice();
        vm.mapLookup(m, key, value);
        entries.push(`${hex(key)}=${hex(value)}`);
      }
      return `map ${k}: ${entries.sort().join(" ")}`;
    });
    return [...runs, ...contents];
  } finally {
    // Closed one by one: VmBackend.close() leaves them open, and an open handle keeps its backend (and the
    // backend's WebAssembly memory) alive until a finalizer runs, which a synchronous loop never lets happen.
    for (const h of handles) h.close();
    vm.close();
  }
}

/** Whether the bytes call a clock helper (then only successes and errors are compared, not values). */
function callsClock(insns: Uint8Array): boolean {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (let at = 0; at + 8 <= insns.length; at += 8) {
    if (insns[at] === 0x85 && insns[at + 1] === 0 && CLOCK_HELPERS.has(view.getInt32(at + 4, true))) return true;
  }
  return false;
}

const shape = (o: string[]) => o.map((s) => (s.startsWith("retval") || s.startsWith("map") ? "ok" : s));

const INTERESTING_IMM = [0, 1, -1, 2, 8, 16, 32, 63, 64, 0x7fffffff, -0x80000000, 12, 1000, -512];
const INTERESTING_OFF = [0, 1, -1, 2, -2, 8, -8, 512, -512, 0x7fff, -0x8000];

/** Kinds of mutation, weighted: immediates and offsets, which leave a program runnable more often, the most. */
const MUTATIONS = [
  "byte",
  "bit",
  "opcode",
  "registers",
  "off",
  "off",
  "imm",
  "imm",
  "imm",
  "back",
  "swap",
  "drop",
] as const;

/** Applies 1-3 seeded mutations to a copy of `original`. */
function mutate(original: Uint8Array, rand: () => number): Uint8Array {
  let bytes = original.slice();
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]) => items[int(items.length)]!;
  const count = 1 + int(3);
  for (let m = 0; m < count; m++) {
    const slots = bytes.length / 8;
    const at = 8 * int(slots);
    const view = new DataView(bytes.buffer);
    switch (pick(MUTATIONS)) {
      case "byte":
        bytes[int(bytes.length)] = int(256);
        break;
      case "bit":
        bytes[int(bytes.length)]! ^= 1 << int(8);
        break;
      case "opcode": // another operation of the same class, or any byte
        bytes[at] = rand() < 0.5 ? (bytes[at]! & 0x07) | (int(32) << 3) : int(256);
        break;
      case "registers":
        bytes[at + 1] = rand() < 0.7 ? int(11) | (int(11) << 4) : int(256);
        break;
      case "off":
        view.setInt16(at + 2, rand() < 0.6 ? pick(INTERESTING_OFF) : int(0x10000) - 0x8000, true);
        break;
      case "imm":
        view.setInt32(at + 4, rand() < 0.6 ? pick(INTERESTING_IMM) : int(2 ** 32) | 0, true);
        break;
      case "back": // a jump back: a loop, which only the budget ends when nothing leaves it
        bytes[at] = rand() < 0.5 ? 0x05 : (bytes[at]! & 0x08) | pick([0x15, 0x55, 0xa5, 0x16, 0x56]);
        view.setInt16(at + 2, -1 - int(8), true);
        break;
      case "swap": {
        const other = 8 * int(slots);
        const a = bytes.slice(at, at + 8);
        bytes.copyWithin(at, other, other + 8);
        bytes.set(a, other);
        break;
      }
      case "drop": {
        // jumps over it now land elsewhere
        if (slots > 1) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 8)]);
      }
    }
  }
  return bytes;
}

/** Runs program `index` of `seed` and its mutants in both engines; returns the disagreements. */
function fuzzProgram(seed: number, index: number, counts: Record<string, number>): string[] {
  const p = randomProgram(seed, index);
  // VmBackend hands out handles from 1, in creation order: the maps get handles 1 and 2 in both engines
  const original = programBytes(
    p,
    p.maps.map((_, k) => k + 1),
  );
  const problems: string[] = [];
  const rand = seededRandom((seed ^ Math.imul(index + 1, 0x2c1b3c6d)) >>> 0 || 1);
  for (let m = 0; m <= MUTANTS; m++) {
    const insns = m === 0 ? original : mutate(original, rand);
    const where = `seed ${seed} program #${index} ${m === 0 ? "unmutated" : `mutant ${m}`}`;
    let results: string[][];
    try {
      results = ENGINES.map((engine) => outcome(engine, p.maps, p.progType, insns));
    } catch (error) {
      problems.push(`${where} crashed: ${(error as Error).stack}\n${listingOf(insns)}\nhex ${hex(insns)}`);
      continue;
    }
    const [a, b] = callsClock(insns) ? results.map(shape) : results;
    if (m === 0 && a!.some((s) => !s.startsWith("retval") && !s.startsWith("map"))) {
      problems.push(`${where}: a generated program failed: ${a!.join("\n")}\n${listingOf(insns)}`);
    }
    if (a!.join("\n") !== b!.join("\n")) {
      const diff = a!.map((s, i) => (s === b![i] ? "" : `\n  interpreter: ${s}\n  compiled:    ${b![i]}`)).join("");
      problems.push(`${where}: the engines differ:${diff}\n${listingOf(insns)}`);
    }
    // what happened, by the first error: "ran", "load BAD_PROGRAM", "run MEMORY", ...
    const error = a!.find((s) => s.startsWith("load:") || s.startsWith("run:"));
    const kind = error === undefined ? "ran" : error.replace(/^(\w+): VmError (\w+).*$/, "$1 $2");
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return problems;
}

describe("VM engines under mutated programs", () => {
  it.each([
    ["fixed", FIXED_SEED],
    ["fresh", FRESH_SEED],
  ] as const)("%s seed %i: the interpreter and the compiled engine agree on every mutant", (which, seed) => {
    if (which === "fresh") {
      console.log(
        `vm-fuzz: fresh seed ${seed}; replay with BPFKIT_VM_SEED=${seed} pnpm exec vitest run test/vm-fuzz.test.ts`,
      );
    }
    const counts: Record<string, number> = {};
    const problems: string[] = [];
    for (let index = 0; index < PROGRAMS; index++) problems.push(...fuzzProgram(seed, index, counts));
    console.log(`vm-fuzz seed ${seed}: ${JSON.stringify(counts)}`);
    expect(problems.slice(0, 3), `seed ${seed}: ${problems.length} problems`).toEqual([]);
    // the mutants reach every kind of outcome: refused by the checks, stopped by a fault or the budget, run
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining(["ran", "load BAD_PROGRAM", "load UNINITIALIZED", "run MEMORY", "run BUDGET"]),
    );
  });
});

/** line_info for a test program: instruction i is line 100 + i of bad.c. */
function sourceLines(insns: Uint8Array): InsnSourceLine[] {
  return Array.from({ length: insns.length / 8 }, (_, i) => ({
    insnIndex: i,
    file: "bad.c",
    line: 100 + i,
    column: 1,
    text: `insn_${i}();`,
  }));
}

/** How a fault at `pc` names its C line. */
const lineOf = (pc: number | undefined) => `bad.c:${100 + (pc ?? -100)}:1: insn_${pc}();`;

/** Both engines' error for a bad program (load or first run), which must be the same typed error. */
function failure(insns: Uint8Array, dataIn = ipv4Packet(17)): VmError {
  const errors = ENGINES.map((engine) => {
    const vm = new VmBackend({ engine, budget: BUDGET });
    let fd: Fd | undefined;
    try {
      fd = vm.loadProgram({ progType: XDP, insns, license: "GPL", sourceLines: sourceLines(insns) }).fd;
      vm.testRun(fd, { dataIn });
    } catch (error) {
      return error;
    } finally {
      fd?.close();
      vm.close();
    }
    throw new Error(`${engine}: the program ran to the end`);
  });
  for (const e of errors) expect(e).toBeInstanceOf(VmError);
  const [a, b] = errors as VmError[];
  expect(a!.pc).toEqual(expect.any(Number));
  expect([b!.code, b!.pc, b!.address, b!.line]).toEqual([a!.code, a!.pc, a!.address, a!.line]);
  return a!;
}

const program = (...insns: Parameters<typeof encodeInstructions>[0]) => encodeInstructions(insns, "little");

describe("VM engines on bad programs: typed errors naming the instruction, never a crash or a hang", () => {
  it("an infinite loop exhausts the budget, at the loop's instruction and C line", () => {
    const e = failure(program(mov64Imm(R0, 0), ja(-1), exit()));
    expect([e.code, e.pc, e.line]).toEqual(["BUDGET", 1, lineOf(1)]);
  });

  it("a longer infinite loop exhausts the budget in both engines, at the same instruction", () => {
    const insns = program(
      mov64Imm(R0, 0),
      alu64Imm(AluOp.ADD, R0, 1),
      alu64Imm(AluOp.ADD, R0, 1),
      jmpImm(JmpOp.JNE, R0, -1, -3),
      exit(),
    );
    const where: number[] = [];
    for (const engine of ENGINES) {
      const vm = new VmBackend({ engine, budget: BUDGET });
      using fd = vm.loadProgram({ progType: XDP, insns, license: "GPL", sourceLines: sourceLines(insns) }).fd;
      let error: unknown;
      try {
        vm.testRun(fd, { dataIn: ipv4Packet(17) });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VmError);
      const e = error as VmError;
      expect([e.code, e.line]).toEqual(["BUDGET", lineOf(e.pc)]);
      where.push(e.pc!);
    }
    // 1 + 3 per iteration: the 20,000th instruction is the second add of an iteration
    expect(where).toEqual([2, 2]);
  });

  it("reads out of bounds fault with the address and C line: above the stack, around the packet, through NULL", () => {
    const aboveStack = failure(program(ldxMem(Size.DW, R0, R10, 0), exit()));
    expect([aboveStack.code, aboveStack.pc, aboveStack.line]).toEqual(["MEMORY", 0, lineOf(0)]);
    // The packet is exactly data..data_end: one byte past its end, or one byte of headroom before it, faults.
    for (const [base, offset] of [
      [4, 0], // data_end + 0
      [0, -1], // data - 1
      [0, 64], // data + the packet's length
    ] as const) {
      const outside = failure(
        program(ldxMem(Size.W, R2, R1, base), mov64Imm(R0, 0), ldxMem(Size.B, R0, R2, offset), exit()),
      );
      expect([outside.code, outside.pc, outside.line]).toEqual(["MEMORY", 2, lineOf(2)]);
    }
    const nil = failure(program(mov64Imm(R2, 0), ldxMem(Size.B, R0, R2, 0), exit()));
    expect([nil.code, nil.pc, nil.address, nil.line]).toEqual(["MEMORY", 1, 0n, lineOf(1)]);
  });

  // Refusals at load name the instruction and, with line_info, the C line.
  it("an unknown helper is refused at load", () => {
    const e = failure(program(mov64Imm(R0, 0), call(0x7fff), exit()));
    expect([e.code, e.pc, e.line]).toEqual(["BAD_PROGRAM", 1, lineOf(1)]);
    expect(e.message).toContain("unknown helper");
  });

  it("a broken structure is refused at load: a jump out of the program, falling off the end", () => {
    const out = failure(program(mov64Imm(R0, 0), ja(5), exit()));
    expect([out.code, out.pc]).toEqual(["BAD_PROGRAM", 1]);
    const falls = failure(program(mov64Imm(R0, 0)));
    expect([falls.code, falls.pc]).toEqual(["BAD_PROGRAM", 0]);
  });
});
