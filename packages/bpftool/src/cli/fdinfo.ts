// /proc/self/fdinfo of a BPF descriptor, read as bpftool's get_fdinfo reads it (map and prog `show` print its
// memlock and a map's frozen/owner fields), and the C conversions bpftool applies to the values.
import { readFileSync } from "node:fs";
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

const LEADING_INTEGER = /^[ \t\n\v\f\r]*([+-]?\d+)/;

/** C's atoi: leading blanks, a sign, then digits; anything else ends the number. */
export function atoi(text: string): number {
  const m = LEADING_INTEGER.exec(text);
  return m ? Number(m[1]) : 0;
}

/** C's atoll: as atoi, in 64 bits. */
export function atoll(text: string): bigint {
  const m = LEADING_INTEGER.exec(text);
  return m ? BigInt.asIntN(64, BigInt(m[1] as string)) : 0n;
}
