// The printf dialect of bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf (the kernel's bpf_bprintf_prepare):
// flags `-+ 0#`, a width, l/ll (and h/hh, as the kernel's vsprintf reads them), and the conversions d i u x X o c s
// and p (as %px). %s reads a NUL-terminated string from VM memory; a bad pointer prints "(efault)" as the
// kernel's does for an unreadable one.

import type { VmMemory } from "../memory.js";
import { stringAt } from "./registers.js";

const SPEC = /%([-+ 0#]*)(\d*)(hh|h|ll|l)?([diuxXocsp%])/g;

/** `format` with its conversions filled from `args` (raw 64-bit values), or an error for a bad conversion. */
export function formatBpf(memory: VmMemory, format: string, args: readonly bigint[]): string {
  let next = 0;
  return format.replace(SPEC, (_, flags: string, width: string, length: string | undefined, conv: string) => {
    if (conv === "%") return "%";
    const raw = args[next++] ?? 0n;
    const bits = length === "ll" || length === "l" ? 64 : length === "h" ? 16 : length === "hh" ? 8 : 32;
    let text: string;
    switch (conv) {
      case "d":
      case "i": {
        const v = BigInt.asIntN(bits, raw);
        text = v < 0n ? v.toString() : `${flags.includes("+") ? "+" : flags.includes(" ") ? " " : ""}${v}`;
        break;
      }
      case "u":
        text = BigInt.asUintN(bits, raw).toString();
        break;
      case "x":
      case "X": {
        const v = BigInt.asUintN(bits, raw);
        text = `${flags.includes("#") && v !== 0n ? "0x" : ""}${v.toString(16)}`;
        if (conv === "X") text = text.toUpperCase();
        break;
      }
      case "o":
        text = BigInt.asUintN(bits, raw).toString(8);
        break;
      case "c":
        text = String.fromCharCode(Number(raw & 0xffn));
        break;
      case "s":
        text = stringAt(memory, BigInt.asUintN(64, raw)) ?? "(efault)";
        break;
      default: // p: the kernel prints BPF's %p as a hashed pointer; the VM has nothing to hide and prints %px
        text = BigInt.asUintN(64, raw).toString(16).padStart(16, "0");
    }
    const w = Number(width || 0);
    if (text.length >= w) return text;
    if (flags.includes("-")) return text.padEnd(w);
    if (flags.includes("0") && conv !== "s" && conv !== "c") {
      const sign = /^[-+ ]/.test(text) ? text[0]! : "";
      return sign + text.slice(sign.length).padStart(w - sign.length, "0");
    }
    return text.padStart(w);
  });
}
