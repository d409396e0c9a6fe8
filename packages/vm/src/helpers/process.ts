// Helpers about the world the program runs in: clocks, random numbers, the CPU, the current process, and
// probe_read_* against memory the host provides (the VM's own regions, then the host's ProbeMemory).

import { HelperId } from "@bpfkit/asm";
import type { Helper } from "../interpreter.js";
import { Errno } from "../maps/map.js";
import type { VmMemory } from "../memory.js";
import type { HelperEnvironment } from "./environment.js";
import { arg, bytesAt, setR0 } from "./registers.js";

const nowNs = () => BigInt(Math.round(performance.now() * 1e6));
/** HZ of the jiffies bpf_jiffies64 counts (CONFIG_HZ=250 on Debian's kernels). */
const HZ = 250n;

/** `size` bytes at `address`: from a VM region, else from the host's probe memory. */
function probe(env: HelperEnvironment, memory: VmMemory, user: boolean, address: bigint, size: number) {
  if (address >> 32n === 0n) {
    try {
      const at = memory.translate(Number(address), 0, size, false, -1);
      return memory.bytes.slice(at, at + size);
    } catch {}
  }
  return env.probe?.(user ? "user" : "kernel", address, size);
}

export function processHelpers(env: HelperEnvironment): [number, Helper][] {
  const probeRead = (user: boolean): Helper => {
    return (regs, memory, pc) => {
      const size = regs.lo[2]!;
      const out = bytesAt(memory, regs, 1, size, true, pc);
      const bytes = probe(env, memory, user, arg(regs, 3), size);
      if (!bytes || bytes.length < size) {
        out.fill(0);
        return setR0(regs, -Errno.EFAULT);
      }
      out.set(bytes.subarray(0, size));
      setR0(regs, 0);
    };
  };
  // The _str forms copy up to the NUL (included), at most size - 1 characters, and answer the length with it.
  const probeReadString = (user: boolean): Helper => {
    return (regs, memory, pc) => {
      const size = regs.lo[2]!;
      const out = bytesAt(memory, regs, 1, size, true, pc);
      if (size === 0) return setR0(regs, 0);
      const address = arg(regs, 3);
      let n = 0;
      for (; n < size - 1; n++) {
        const byte = probe(env, memory, user, address + BigInt(n), 1);
        if (!byte) {
          out.fill(0);
          return setR0(regs, -Errno.EFAULT);
        }
        out[n] = byte[0]!;
        if (byte[0] === 0) return setR0(regs, n + 1);
      }
      out[n] = 0;
      setR0(regs, n + 1);
    };
  };
  const { pid, tgid, uid, gid, comm } = env.process;
  return [
    ...[HelperId.ktime_get_ns, HelperId.ktime_get_boot_ns, HelperId.ktime_get_coarse_ns, HelperId.ktime_get_tai_ns].map(
      (id): [number, Helper] => [id, (regs) => setR0(regs, nowNs())],
    ),
    [HelperId.jiffies64, (regs) => setR0(regs, (nowNs() * HZ) / 1_000_000_000n)],
    [
      HelperId.get_prandom_u32,
      (regs) => {
        let x = env.random | 0 || 0x2545f491;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        env.random = x;
        setR0(regs, x >>> 0);
      },
    ],
    [HelperId.get_smp_processor_id, (regs) => setR0(regs, 0)],
    [HelperId.get_numa_node_id, (regs) => setR0(regs, 0)],
    [HelperId.get_attach_cookie, (regs) => setR0(regs, env.attachCookie ?? 0n)],
    [HelperId.get_current_pid_tgid, (regs) => setR0(regs, (BigInt(tgid) << 32n) | BigInt(pid))],
    [HelperId.get_current_uid_gid, (regs) => setR0(regs, (BigInt(gid) << 32n) | BigInt(uid))],
    [
      HelperId.get_current_comm,
      (regs, memory, pc) => {
        const size = regs.lo[2]!;
        const out = bytesAt(memory, regs, 1, size, true, pc);
        out.fill(0);
        out.set(new TextEncoder().encode(comm).subarray(0, Math.max(0, Math.min(15, size - 1))));
        setR0(regs, 0);
      },
    ],
    [HelperId.probe_read, probeRead(false)],
    [HelperId.probe_read_kernel, probeRead(false)],
    [HelperId.probe_read_user, probeRead(true)],
    [HelperId.probe_read_str, probeReadString(false)],
    [HelperId.probe_read_kernel_str, probeReadString(false)],
    [HelperId.probe_read_user_str, probeReadString(true)],
  ];
}
