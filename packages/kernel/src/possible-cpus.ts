// Number of possible CPUs: per-CPU map values hold one slot per possible CPU (not per online CPU).
import { readFileSync } from "node:fs";
import { KernelBackendError } from "./errors.js";

/** Parses a CPU list like "0-3,6,8-9" into the number of CPUs it names. */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(",")) {
    if (part === "") continue;
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new KernelBackendError(`cannot parse CPU list "${list.trim()}"`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first) throw new KernelBackendError(`cannot parse CPU list "${list.trim()}"`);
    count += last - first + 1;
  }
  if (count === 0) throw new KernelBackendError("empty CPU list");
  return count;
}

let cached: number | undefined;

/** CPUs in /sys/devices/system/cpu/possible (read once). */
export function possibleCpus(): number {
  cached ??= countCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
  return cached;
}
