// Whether a WebAssembly path really ran. Where one gives up, its TypeScript fallback produces the same answer, so
// differential tests compare equal either way; they read how the path ended (recorded by the path itself) to
// prove the WebAssembly side did the work.
import { lastWasmOutcome, recordWasmOutcome, type WasmPath } from "../src/wasm/instance.js";

export type { WasmPath };

/** What lastWasmOutcome reads after {@link resetWasmOutcome} when the path was never entered. */
export const NOT_RUN = "not run";

/** Forgets the latest outcome of `path`, so that a call that never enters it leaves {@link NOT_RUN}. */
export function resetWasmOutcome(path: WasmPath): void {
  recordWasmOutcome(path, NOT_RUN);
}

/**
 * Runs `f` and returns its value with how `path` ended during it: "complete", why it gave up, or {@link NOT_RUN}.
 * A throw from `f` propagates (catch inside `f` to see the outcome of a failing call).
 */
export function watchWasm<T>(path: WasmPath, f: () => T): { value: T; wasm: string } {
  resetWasmOutcome(path);
  const value = f();
  return { value, wasm: lastWasmOutcome(path) };
}
