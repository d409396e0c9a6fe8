// Shared measurement helpers for benchmarks. Times are in milliseconds unless a bench says otherwise.
import { spawnSync } from "node:child_process";

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time of `fn` over `runs` runs, after `warmup` unmeasured runs. */
export async function timeIt(fn, { runs = 11, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** Median wall time of a whole process (stdout discarded). */
export function timeProcess(cmd, args, { runs = 11, warmup = 2, input } = {}) {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: [input ? "pipe" : "ignore", "ignore", "pipe"], input });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < warmup; i++) once();
  return median(Array.from({ length: runs }, once));
}
