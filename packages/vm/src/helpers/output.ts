// Output helpers: trace_printk and trace_vprintk (lines in the host log), snprintf, the ring buffer family and
// perf_event_output. Return values are the kernel's.

import { HelperId, MapType } from "@bpfkit/asm";
import { VmError } from "../errors.js";
import type { Helper, Registers } from "../interpreter.js";
import { Errno } from "../maps/map.js";
import { PerfEventArrayMap } from "../maps/perf-event-array.js";
import { RingBufferMap } from "../maps/ring-buffer.js";
import type { VmMemory } from "../memory.js";
import type { HelperEnvironment } from "./environment.js";
import { formatBpf } from "./format.js";
import { arg, bytesAt, mapIn, setR0, stringAt } from "./registers.js";

/** The kernel's limit on printf arguments (MAX_BPRINTF_VARARGS). */
const MAX_VARARGS = 12;

function formatString(memory: VmMemory, regs: Registers, r: number, size: number, pc: number): string {
  return new TextDecoder().decode(bytesAt(memory, regs, r, size, false, pc)).replace(/\0.*$/s, "");
}

/** The u64 arguments an array of `size` bytes at register `r` holds (vprintk, snprintf), or undefined if bad. */
function packedArgs(memory: VmMemory, regs: Registers, r: number, size: number, pc: number): bigint[] | undefined {
  if (size % 8 !== 0 || size > 8 * MAX_VARARGS) return undefined;
  const bytes = bytesAt(memory, regs, r, size, false, pc);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  return Array.from({ length: size / 8 }, (_, k) => view.getBigUint64(8 * k, true));
}

export function outputHelpers(env: HelperEnvironment): [number, Helper][] {
  const log = (line: string) => env.log.push(line.replace(/\n$/, ""));
  const ring = (regs: Registers) => {
    const map = mapIn(env, regs);
    return map instanceof RingBufferMap ? map : undefined;
  };
  const finish = (discard: boolean): Helper => {
    return (regs, _memory, pc) => {
      const address = regs.hi[1] === 0 ? regs.lo[1]! : -1;
      if (!env.finishRingRecord(address, discard)) {
        throw new VmError("HELPER", `ring buffer record 0x${address.toString(16)} is not a reservation`, { pc });
      }
      setR0(regs, 0);
    };
  };
  return [
    [
      HelperId.trace_printk,
      (regs, memory, pc) => {
        const line = formatBpf(
          memory,
          formatString(memory, regs, 1, regs.lo[2]!, pc),
          [3, 4, 5].map((r) => arg(regs, r)),
        );
        log(line);
        setR0(regs, line.length);
      },
    ],
    [
      HelperId.trace_vprintk,
      (regs, memory, pc) => {
        const args = packedArgs(memory, regs, 3, regs.lo[4]!, pc);
        if (!args) return setR0(regs, -Errno.EINVAL);
        const line = formatBpf(memory, formatString(memory, regs, 1, regs.lo[2]!, pc), args);
        log(line);
        setR0(regs, line.length);
      },
    ],
    [
      HelperId.snprintf,
      (regs, memory, pc) => {
        const args = packedArgs(memory, regs, 4, regs.lo[5]!, pc);
        if (!args) return setR0(regs, -Errno.EINVAL);
        // The format is a constant string: NUL-terminated inside its (read-only) map value.
        const format = stringAt(memory, arg(regs, 3));
        if (format === undefined) return setR0(regs, -Errno.EINVAL);
        const text = new TextEncoder().encode(formatBpf(memory, format, args));
        const size = regs.lo[2]!;
        if (size > 0) {
          const out = bytesAt(memory, regs, 1, size, true, pc);
          const n = Math.min(text.length, size - 1);
          out.set(text.subarray(0, n));
          out[n] = 0;
        }
        setR0(regs, text.length + 1);
      },
    ],
    [HelperId.ringbuf_reserve, (regs) => setR0(regs, ring(regs)?.reserve(regs.lo[2]!) ?? 0)],
    [
      HelperId.ringbuf_output,
      (regs, memory, pc) => {
        const map = ring(regs);
        const size = regs.lo[3]!;
        const at = map?.reserve(size);
        if (!map || at === undefined) return setR0(regs, -Errno.EAGAIN); // no room
        const data = bytesAt(memory, regs, 2, size, false, pc);
        memory.bytes.set(data, memory.translate(at, 0, size, true, pc));
        map.finish(at, false);
        setR0(regs, 0);
      },
    ],
    [HelperId.ringbuf_submit, finish(false)],
    [HelperId.ringbuf_discard, finish(true)],
    [HelperId.ringbuf_query, (regs) => setR0(regs, 0)],
    [
      HelperId.perf_event_output,
      (regs, memory, pc) => {
        const map = mapIn(env, regs, 2);
        if (!(map instanceof PerfEventArrayMap) || map.type !== MapType.PERF_EVENT_ARRAY) {
          return setR0(regs, -Errno.EINVAL);
        }
        // The high half of flags asks for packet bytes after the data (BPF_F_CTX_LEN_MASK), which needs the
        // skb or xdp_buff behind the context: not modelled.
        if (regs.hi[3] !== 0) return setR0(regs, -Errno.EOPNOTSUPP);
        const data = bytesAt(memory, regs, 4, regs.lo[5]!, false, pc);
        setR0(regs, -map.output(regs.lo[3]!, 0, data));
      },
    ],
  ];
}
