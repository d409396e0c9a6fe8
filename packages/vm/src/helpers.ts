// The helpers a VM program may call, by the kernel's ids. Each reads its arguments from r1-r5 (pointers checked
// like the program's own accesses) and leaves its result in r0, with the kernel's return conventions (0 or a
// negative errno; a value pointer or NULL).

import { VmError } from "./errors.js";
import type { Helper, Registers } from "./interpreter.js";
import type { VmMap } from "./maps/map.js";
import { PerCpuArrayMap } from "./maps/percpu-array.js";
import { RingBufferMap } from "./maps/ring-buffer.js";
import type { VmMemory } from "./memory.js";

/** Kernel helper ids (include/uapi/linux/bpf.h, __BPF_FUNC_MAPPER order). */
export const HelperId = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  tail_call: 12,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  ktime_get_boot_ns: 125,
  ktime_get_coarse_ns: 160,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
} as const;

/** A map reference in a register: high half MAP_HANDLE, low half the map's handle number (never an address). */
export const MAP_HANDLE = 1;
const ARRAY_OF_MAPS = 12;

export interface HelperEnvironment {
  /** The map a handle names. */
  map(handle: number): VmMap | undefined;
  /** trace_printk output, one line per call. */
  readonly log: string[];
  /** Values of the process-related helpers. */
  readonly pid: number;
  readonly tgid: number;
  readonly uid: number;
  readonly gid: number;
  /** State of get_prandom_u32 (xorshift32), seedable. */
  random: number;
  /** Submits or discards the ring buffer reservation at `address`; false when it is none. */
  finishRingRecord(address: number, discard: boolean): boolean;
}

function setR0(regs: Registers, value: bigint | number): void {
  if (typeof value === "number" && value >= -0x80000000 && value <= 0xffffffff && Number.isInteger(value)) {
    regs.lo[0] = value;
    regs.hi[0] = value < 0 ? 0xffffffff : 0;
    return;
  }
  const v = BigInt.asUintN(64, BigInt(value));
  regs.lo[0] = Number(v & 0xffffffffn);
  regs.hi[0] = Number(v >> 32n);
}

function bytesAt(memory: VmMemory, regs: Registers, r: number, size: number, write: boolean, pc: number): Uint8Array {
  const at = memory.translate(regs.lo[r]!, regs.hi[r]!, size, write, pc);
  return memory.bytes.subarray(at, at + size);
}

function mapOf(env: HelperEnvironment, regs: Registers): VmMap | undefined {
  return regs.hi[1] === MAP_HANDLE ? env.map(regs.lo[1]!) : undefined;
}

const nowNs = () => BigInt(Math.round(performance.now() * 1e6));

/** The helper table over `env`. */
export function vmHelpers(env: HelperEnvironment): Map<number, Helper> {
  const helpers = new Map<number, Helper>();
  helpers.set(HelperId.map_lookup_elem, (regs, memory, pc) => {
    const map = mapOf(env, regs);
    if (!map) return setR0(regs, 0);
    const key = bytesAt(memory, regs, 2, map.keySize, false, pc);
    const at = map instanceof PerCpuArrayMap ? map.lookupOnCpu(key, 0) : map.lookup(key);
    if (at !== undefined && map.type === ARRAY_OF_MAPS) {
      // The value is the inner map: a map reference, as the program passes it on to map helpers.
      const inner = map.value(at);
      const handle = inner[0]! | (inner[1]! << 8) | (inner[2]! << 16) | (inner[3]! << 24);
      return setR0(regs, handle === 0 ? 0 : (BigInt(MAP_HANDLE) << 32n) | BigInt(handle));
    }
    setR0(regs, at ?? 0);
  });
  const ring = (regs: Registers) => {
    const map = mapOf(env, regs);
    return map instanceof RingBufferMap ? map : undefined;
  };
  helpers.set(HelperId.ringbuf_reserve, (regs) => setR0(regs, ring(regs)?.reserve(regs.lo[2]!) ?? 0));
  helpers.set(HelperId.ringbuf_output, (regs, memory, pc) => {
    const map = ring(regs);
    const size = regs.lo[3]!;
    const at = map?.reserve(size);
    if (!map || at === undefined) return setR0(regs, -11); // EAGAIN: no room
    const data = bytesAt(memory, regs, 2, size, false, pc);
    memory.bytes.set(data, memory.translate(at, 0, size, true, pc));
    map.finish(at, false);
    setR0(regs, 0);
  });
  for (const [id, discard] of [
    [HelperId.ringbuf_submit, false],
    [HelperId.ringbuf_discard, true],
  ] as const) {
    helpers.set(id, (regs, _memory, pc) => {
      const address = regs.hi[1] === 0 ? regs.lo[1]! : -1;
      if (!env.finishRingRecord(address, discard)) {
        throw new VmError("HELPER", `ring buffer record 0x${address.toString(16)} is not a reservation`, { pc });
      }
      setR0(regs, 0);
    });
  }
  helpers.set(HelperId.ringbuf_query, (regs) => setR0(regs, 0));
  helpers.set(HelperId.map_update_elem, (regs, memory, pc) => {
    const map = mapOf(env, regs);
    if (!map) return setR0(regs, -22);
    const key = bytesAt(memory, regs, 2, map.keySize, false, pc).slice();
    const value = bytesAt(memory, regs, 3, map.valueSize, false, pc).slice();
    setR0(regs, -map.update(key, value, regs.lo[4]!));
  });
  helpers.set(HelperId.map_delete_elem, (regs, memory, pc) => {
    const map = mapOf(env, regs);
    if (!map) return setR0(regs, -22);
    setR0(regs, -map.delete(bytesAt(memory, regs, 2, map.keySize, false, pc)));
  });
  for (const id of [HelperId.ktime_get_ns, HelperId.ktime_get_boot_ns, HelperId.ktime_get_coarse_ns]) {
    helpers.set(id, (regs) => setR0(regs, nowNs()));
  }
  helpers.set(HelperId.get_prandom_u32, (regs) => {
    let x = env.random | 0 || 0x2545f491;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    env.random = x;
    setR0(regs, x >>> 0);
  });
  helpers.set(HelperId.get_smp_processor_id, (regs) => setR0(regs, 0));
  // The engines run tail calls themselves (RunOptions.tailCall); without a prog array it falls through.
  helpers.set(HelperId.tail_call, (regs) => setR0(regs, -2));
  helpers.set(HelperId.get_current_pid_tgid, (regs) => setR0(regs, (BigInt(env.tgid) << 32n) | BigInt(env.pid)));
  helpers.set(HelperId.get_current_uid_gid, (regs) => setR0(regs, (BigInt(env.gid) << 32n) | BigInt(env.uid)));
  helpers.set(HelperId.trace_printk, (regs, memory, pc) => {
    const size = regs.lo[2]!;
    const fmt = new TextDecoder().decode(bytesAt(memory, regs, 1, size, false, pc)).replace(/\0.*$/s, "");
    const args = [3, 4, 5].map((r) => (BigInt(regs.hi[r]!) << 32n) | BigInt(regs.lo[r]!));
    let next = 0;
    const line = fmt.replace(/%(l{0,2})([dizuxs%])/g, (_, long: string, conv: string) => {
      if (conv === "%") return "%";
      const raw = args[next++] ?? 0n;
      const bits = long === "" ? 32 : 64;
      const value = conv === "d" || conv === "i" ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
      return conv === "x" ? value.toString(16) : value.toString();
    });
    env.log.push(line.replace(/\n$/, ""));
    setR0(regs, line.length);
  });
  return helpers;
}
