// How helpers read arguments and answer: r1-r5 in, r0 out, pointers checked like the program's own accesses.

import type { Registers } from "../interpreter.js";
import type { VmMap } from "../maps/map.js";
import type { VmMemory } from "../memory.js";
import type { HelperEnvironment } from "./environment.js";

/** A map reference in a register: high half MAP_HANDLE, low half the map's handle number (never an address). */
export const MAP_HANDLE = 1;

export function setR0(regs: Registers, value: bigint | number): void {
  if (typeof value === "number" && value >= -0x80000000 && value <= 0xffffffff && Number.isInteger(value)) {
    regs.lo[0] = value;
    regs.hi[0] = value < 0 ? 0xffffffff : 0;
    return;
  }
  const v = BigInt.asUintN(64, BigInt(value));
  regs.lo[0] = Number(v & 0xffffffffn);
  regs.hi[0] = Number(v >> 32n);
}

/** Register `r` as an unsigned 64-bit value. */
export function arg(regs: Registers, r: number): bigint {
  return (BigInt(regs.hi[r]!) << 32n) | BigInt(regs.lo[r]!);
}

/** `size` bytes at the pointer in register `r` (a view), or a MEMORY fault at `pc`. */
export function bytesAt(memory: VmMemory, regs: Registers, r: number, size: number, write: boolean, pc: number) {
  if (size === 0) return new Uint8Array(0);
  const at = memory.translate(regs.lo[r]!, regs.hi[r]!, size, write, pc);
  return memory.bytes.subarray(at, at + size);
}

/** The map register `r` refers to, if it is a map reference. */
export function mapIn(env: HelperEnvironment, regs: Registers, r = 1): VmMap | undefined {
  return regs.hi[r] === MAP_HANDLE ? env.map(regs.lo[r]!) : undefined;
}

/** A map reference value for map handle `handle` (0: NULL). */
export function mapReference(handle: number): bigint {
  return handle === 0 ? 0n : (BigInt(MAP_HANDLE) << 32n) | BigInt(handle);
}

/** The NUL-terminated string at VM address `address` (at most `limit` bytes), or undefined if it is unreadable. */
export function stringAt(memory: VmMemory, address: bigint, limit = 4096): string | undefined {
  if (address >> 32n !== 0n) return undefined;
  const lo = Number(address);
  let out = "";
  for (let k = 0; k < limit; k++) {
    let at: number;
    try {
      at = memory.translate(lo + k, 0, 1, false, -1);
    } catch {
      return undefined;
    }
    const byte = memory.bytes[at]!;
    if (byte === 0) return out;
    out += String.fromCharCode(byte);
  }
  return out;
}
