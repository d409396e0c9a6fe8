// Test helper: run a function with this thread's effective capabilities cleared, then restore them.
// Raw capset(2) changes only the calling thread, and clearing the effective set keeps the permitted set, so the
// capabilities can be raised again afterwards. Used to check EPERM explanations without a second process.
import koffi from "koffi";

const CAPABILITY_VERSION_3 = 0x20080522;
const SYSCALLS: Readonly<Record<string, { capget: number; capset: number }>> = {
  x64: { capget: 125, capset: 126 },
  arm64: { capget: 90, capset: 91 },
};

const libc = koffi.load("libc.so.6");
/** Buffers the kernel reads during a call, held here so the collector cannot free them meanwhile. */
const held: ArrayBuffer[] = [];
const syscall2 = libc.func("long syscall(long number, uintptr_t header, uintptr_t data)") as (
  n: number,
  header: number,
  data: number,
) => number;

/** True when this architecture's capget/capset numbers are known. */
export const canDropCapabilities = SYSCALLS[process.arch] !== undefined;

export function withoutEffectiveCapabilities<T>(fn: () => T): T {
  const numbers = SYSCALLS[process.arch];
  if (numbers === undefined) throw new Error(`capget/capset numbers unknown for ${process.arch}`);
  const header = new ArrayBuffer(8);
  new DataView(header).setUint32(0, CAPABILITY_VERSION_3, true);
  const saved = new ArrayBuffer(24);
  const headerAddress = Number(koffi.address(header));
  if (syscall2(numbers.capget, headerAddress, Number(koffi.address(saved))) !== 0)
    throw new Error(`capget failed: errno ${koffi.errno()}`);
  const dropped = saved.slice(0);
  held.push(header, saved, dropped);
  const view = new DataView(dropped);
  view.setUint32(0, 0, true); // effective, low word
  view.setUint32(12, 0, true); // effective, high word
  if (syscall2(numbers.capset, headerAddress, Number(koffi.address(dropped))) !== 0)
    throw new Error(`capset failed: errno ${koffi.errno()}`);
  let result: T;
  try {
    result = fn();
  } finally {
    restore(numbers.capset, headerAddress, saved);
    held.length = 0;
  }
  return result;
}

function restore(capset: number, headerAddress: number, saved: ArrayBuffer): void {
  // Without its capabilities the rest of the test run would fail in confusing ways: stop here instead.
  if (syscall2(capset, headerAddress, Number(koffi.address(saved))) !== 0) {
    process.stderr.write(`restoring capabilities failed: errno ${koffi.errno()}\n`);
    process.exit(1);
  }
}
