// Where tracefs is and what it says: tracepoint ids, and the PMU types of the kprobe and uprobe perf events.

import { existsSync, readFileSync } from "node:fs";
import { AttachError } from "./errors.js";

const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/** The id of tracepoint `category/name`, as perf_event_open wants it in `config`. */
export function tracepointId(category: string, name: string): number {
  for (const root of TRACEFS) {
    const file = `${root}/events/${category}/${name}/id`;
    if (existsSync(file)) return Number(readFileSync(file, "utf8").trim());
  }
  if (!TRACEFS.some((root) => existsSync(`${root}/events`))) {
    throw new AttachError(
      "NO_KERNEL_FEATURE",
      `tracepoint ${category}/${name}: tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)`,
    );
  }
  throw new AttachError("NOT_FOUND", `tracepoint ${category}/${name} does not exist (no events/${category}/${name})`);
}

export interface ProbePmu {
  /** perf_event_attr.type of the PMU. */
  readonly type: number;
  /** The config bit that makes a return probe. */
  readonly retprobeBit: number;
}

/**
 * The dynamic PMU of kprobes or uprobes, or an error naming the kernel option it needs; any error's message starts
 * with `what` (the probe being attached).
 */
export function probePmu(kind: "kprobe" | "uprobe", what: string): ProbePmu {
  try {
    return readProbePmu(kind);
  } catch (error) {
    (error as Error).message = `${what}: ${(error as Error).message}`;
    throw error;
  }
}

function readProbePmu(kind: "kprobe" | "uprobe"): ProbePmu {
  const dir = `/sys/bus/event_source/devices/${kind}`;
  if (!existsSync(`${dir}/type`)) {
    const option =
      kind === "kprobe" ? "CONFIG_KPROBES (and CONFIG_KPROBE_EVENTS)" : "CONFIG_UPROBES (and CONFIG_UPROBE_EVENTS)";
    throw new AttachError(
      "NO_KERNEL_FEATURE",
      `${kind}s are not available: this kernel has no ${kind} PMU (${dir}); it needs ${option}`,
    );
  }
  const type = Number(readFileSync(`${dir}/type`, "utf8").trim());
  // format/retprobe reads "config:0"
  const format = existsSync(`${dir}/format/retprobe`) ? readFileSync(`${dir}/format/retprobe`, "utf8") : "config:0";
  const bit = Number(/config:(\d+)/.exec(format)?.[1] ?? 0);
  return { type, retprobeBit: bit };
}
