// Pieces of `prog show` that come from outside bpf_prog_info: the load time as a wall-clock date (bpftool converts
// nanoseconds since boot with CLOCK_REALTIME - CLOCK_BOOTTIME).
import { ClockId, clockGettime } from "@bpfkit/kernel";

const NS = 1_000_000_000n;

/**
 * The load time as bpftool's print_boot_time prints it: epoch seconds with -j, `%FT%T%z` in local time otherwise.
 * The arithmetic is C's: the nanosecond sum is unsigned and divisions truncate.
 */
export function bootTimeText(nsSinceBoot: bigint, json: boolean): string {
  const real = clockGettime(ClockId.REALTIME);
  const boot = clockGettime(ClockId.BOOTTIME);
  if (real === undefined || boot === undefined) return String(nsSinceBoot / NS);
  const nsPart = BigInt.asUintN(64, real[1] - boot[1] + nsSinceBoot) / NS;
  const seconds = BigInt.asIntN(64, real[0] - boot[0] + nsPart);
  if (json) return String(seconds);
  return strftimeIso(Number(seconds));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** strftime("%FT%T%z") of localtime(seconds). */
export function strftimeIso(seconds: number): string {
  const d = new Date(seconds * 1000);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
