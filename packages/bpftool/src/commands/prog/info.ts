// Pieces of `prog show` that come from outside bpf_prog_info: fdinfo's memlock, the load time as a wall-clock
// date (bpftool converts nanoseconds since boot with CLOCK_REALTIME - CLOCK_BOOTTIME), the offload device name.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { ClockId, clockGettime } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";

/** bpftool's get_fdinfo: the text after the tab of the first fdinfo line containing `key`, without its newline. */
export function fdinfoField(fd: Fd, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd.value}`, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split(/(?<=\n)/)) {
    if (!line.includes(key)) continue;
    const tab = line.indexOf("\t");
    if (tab < 0 || tab + 1 >= line.length) return undefined;
    // bpftool drops the last character, the newline
    return line.slice(tab + 1, -1);
  }
  return undefined;
}

/** C's atoll: leading blanks, a sign, then decimal digits as far as they go. */
export function atoll(text: string): bigint {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? BigInt.asIntN(64, BigInt(m[1] as string)) : 0n;
}

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

/** The interface name of an offloaded program's device, if it is in our network namespace (ifindex_to_name_ns). */
export function offloadDeviceName(ifindex: number, nsDev: bigint, nsIno: bigint): string | undefined {
  try {
    const st = statSync("/proc/self/ns/net", { bigint: true });
    if (st.dev !== nsDev || st.ino !== nsIno) return undefined;
    for (const name of readdirSync("/sys/class/net")) {
      const index = Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim());
      if (index === ifindex) return name;
    }
  } catch {}
  return undefined;
}
