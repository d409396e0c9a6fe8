// Helpers that call back into the program: bpf_loop and bpf_for_each_map_elem. The callback is a function
// reference (a BPF_PSEUDO_FUNC ld_imm64, which the backend turns into FUNC_HANDLE:first instruction); the engine
// runs it in a new frame through Callbacks, and a non-zero return stops the iteration, as in the kernel.

import { HelperId } from "@bpfkit/asm";
import { VmError } from "../errors.js";
import { FUNC_HANDLE, type Helper, type Registers } from "../interpreter.js";
import { ArrayMap } from "../maps/array.js";
import { HashMap } from "../maps/hash.js";
import { Errno, u32Bytes } from "../maps/map.js";
import { PerCpuArrayMap } from "../maps/percpu-array.js";
import type { Region, VmMemory } from "../memory.js";
import type { HelperEnvironment } from "./environment.js";
import { arg, mapIn, setR0 } from "./registers.js";

/** The kernel's limit on bpf_loop iterations (BPF_MAX_LOOPS). */
const MAX_LOOPS = 1 << 23;

function callbackIn(regs: Registers, pc: number): number {
  if (regs.hi[2] !== FUNC_HANDLE) throw new VmError("HELPER", "the callback argument (r2) is not a function", { pc });
  return regs.lo[2]!;
}

/** Read-only key slots for array iteration, one per nesting level, allocated once per memory. */
const keySlots = new WeakMap<VmMemory, Region[]>();

function keySlot(memory: VmMemory, level: number): Region {
  let slots = keySlots.get(memory);
  if (!slots) {
    slots = [];
    keySlots.set(memory, slots);
  }
  slots[level] ??= memory.allocate(`for_each_map_elem key ${level}`, 4, false);
  return slots[level]!;
}

export function iterationHelpers(env: HelperEnvironment): [number, Helper][] {
  let nesting = 0;
  return [
    [
      HelperId.loop,
      (regs, _memory, pc, callbacks) => {
        const count = regs.lo[1]!;
        const target = callbackIn(regs, pc);
        const context = arg(regs, 3);
        if (regs.lo[4] !== 0 || regs.hi[4] !== 0) return setR0(regs, -Errno.EINVAL);
        if (count > MAX_LOOPS) return setR0(regs, -Errno.E2BIG);
        for (let i = 0; i < count; i++) {
          if (callbacks.call(target, [BigInt(i), context]) !== 0n) return setR0(regs, i + 1);
        }
        setR0(regs, count);
      },
    ],
    [
      HelperId.for_each_map_elem,
      (regs, memory, pc, callbacks) => {
        const map = mapIn(env, regs);
        const mapRef = arg(regs, 1);
        const target = callbackIn(regs, pc);
        const context = arg(regs, 3);
        if (!map || regs.lo[4] !== 0 || regs.hi[4] !== 0) return setR0(regs, -Errno.EINVAL);
        const call = (key: number, value: number) =>
          callbacks.call(target, [mapRef, BigInt(key), BigInt(value), context]) !== 0n;
        let n = 0;
        const level = nesting++;
        try {
          if (map instanceof HashMap) {
            // The elements as they are now: a callback that deletes some does not disturb the walk.
            for (const { key, value } of [...map.elements()]) {
              n++;
              if (call(key, value)) break;
            }
          } else if (map instanceof ArrayMap || map instanceof PerCpuArrayMap) {
            // An array's key is a u32 index the kernel keeps on its stack: here a read-only slot per nesting level.
            const slot = keySlot(memory, level);
            for (let i = 0; i < map.maxEntries; i++) {
              memory.bytes.set(u32Bytes(i), slot.offset);
              n++;
              if (call(slot.start, map.lookup(u32Bytes(i))!)) break;
            }
          } else return setR0(regs, -Errno.EOPNOTSUPP);
        } finally {
          nesting--;
        }
        setR0(regs, n);
      },
    ],
  ];
}
