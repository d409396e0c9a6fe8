// Test helper: run a function with this thread's effective capabilities cleared, then restore them, through the
// library's dropEffectiveCapabilities (raw capset(2) on the calling thread; the permitted set stays, so the
// capabilities can be raised again). Used to check EPERM explanations without a second process.
import { dropEffectiveCapabilities } from "../src/capabilities.js";
import { CAPSET_SYSCALLS } from "../src/capset-numbers.js";

/** True when this architecture's capget/capset numbers are known. */
export const canDropCapabilities = CAPSET_SYSCALLS[process.arch] !== undefined;

/** Every capability bit of the two 32-bit words capset(2) takes. */
const ALL = Array.from({ length: 64 }, (_, cap) => cap);

export function withoutEffectiveCapabilities<T>(fn: () => T): T {
  const restore = dropEffectiveCapabilities(ALL);
  try {
    return fn();
  } finally {
    try {
      restore();
    } catch (error) {
      // Without its capabilities the rest of the test run would fail in confusing ways: stop here instead.
      process.stderr.write(`restoring capabilities failed: ${String(error)}\n`);
      process.exit(1);
    }
  }
}
