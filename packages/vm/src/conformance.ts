// The BPF conformance suite's plugin protocol (Alan-Jowett/bpf_conformance), engine side: a program and its input
// memory as hex text in, r0 or a refusal out. The suite's convention: r1 points at a writable copy of the memory,
// r2 holds its length (both 0 without memory), r10 is the top of a 512-byte stack per frame. Helper 5 is uBPF's
// test helper, which returns its argument.

import { compileProgram } from "./compiler.js";
import { VmError } from "./errors.js";
import { type Helper, interpret, type RunOptions } from "./interpreter.js";
import { VmMemory } from "./memory.js";
import { checkProgram, decodeProgram } from "./program.js";

export type ConformanceOutcome =
  | { readonly ok: true; readonly value: bigint; readonly steps: number; readonly engine: Engine }
  | { readonly ok: false; readonly error: string };

/** Bytes of hex text: pairs of hex digits, anything else (blanks, newlines) ignored. */
export function bytesOfHex(text: string): Uint8Array {
  const digits = text.replace(/[^0-9a-fA-F]/g, "");
  if (digits.length % 2 !== 0) throw new VmError("BAD_PROGRAM", "hex text has an odd number of digits");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const HELPERS = new Map<number, Helper>([
  [
    5,
    (regs) => {
      regs.lo[0] = regs.lo[1]!;
      regs.hi[0] = regs.hi[1]!;
    },
  ],
]);

export type Engine = "interpreter" | "compiled";

/** Checks and runs one program of the suite; a refusal (at load or at run time) is `ok: false`. */
export function runConformance(
  program: Uint8Array,
  memory: Uint8Array,
  engine: Engine = "interpreter",
): ConformanceOutcome {
  try {
    const decoded = decodeProgram(program);
    checkProgram(decoded, { initialized: [1, 2], knownHelper: (id) => HELPERS.has(id) });
    const vm = new VmMemory();
    const input = memory.length > 0 ? vm.allocate("memory", memory.length, true, memory) : undefined;
    const options: RunOptions = {
      memory: vm,
      registers: { 1: BigInt(input?.start ?? 0), 2: BigInt(memory.length) },
      helpers: HELPERS,
      packet: memory,
    };
    const result = engine === "compiled" ? compileProgram(decoded).run(options) : interpret(decoded, options);
    return { ok: true, value: result.value, steps: result.steps, engine };
  } catch (error) {
    if (error instanceof VmError) return { ok: false, error: error.message };
    throw error;
  }
}
