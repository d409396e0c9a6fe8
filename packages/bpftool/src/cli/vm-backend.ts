// The userspace VM as `--backend vm` loads `object FILE` into it: @bpfkit/vm's VmBackend (which keeps what the
// kernel keeps of a load and answers map calls with the kernel's errnos), given the machine's clock and user, and
// refusing the object BTF of a map where the kernel (or bpftool 7.1's libbpf) would refuse it
// (commands/prog/dry-load.ts), so that the loader creates the map without it, as it does in the kernel. Nothing here
// calls bpf(2): the clock is clock_gettime(CLOCK_BOOTTIME).

import { Btf } from "@bpfkit/btf";
import { ClockId, clockGettime } from "@bpfkit/kernel";
import type { Fd, MapCreateAttrs } from "@bpfkit/loader";
import { VmBackend, type VmBackendOptions, VmError } from "@bpfkit/vm";
import { btfRefused } from "../commands/prog/dry-load.js";

const EINVAL = 22;

function nanosecondsSinceBoot(): bigint {
  const now = clockGettime(ClockId.BOOTTIME);
  return now === undefined ? 0n : now[0] * 1_000_000_000n + now[1];
}

export class BpftoolVm extends VmBackend {
  /** BTF objects as parsed, by handle (for the BTF checks of map creation). */
  readonly #btfs = new Map<number, Btf | undefined>();

  constructor(options: VmBackendOptions) {
    super({ clock: nanosecondsSinceBoot, uid: process.getuid?.() ?? 0, ...options });
  }

  override createMap(attrs: MapCreateAttrs): Fd {
    if (attrs.btf !== undefined) {
      const handle = attrs.btf.value;
      if (!this.#btfs.has(handle)) {
        let btf: Btf | undefined;
        try {
          btf = Btf.parse(this.btfData(attrs.btf), { checkCycles: false });
        } catch {}
        this.#btfs.set(handle, btf);
      }
      if (btfRefused(attrs, this.#btfs.get(handle))) {
        throw new VmError("MAP", `map '${attrs.name ?? ""}': the kernel refuses its BTF (EINVAL)`, { errno: EINVAL });
      }
    }
    return super.createMap(attrs);
  }

  override close(): void {
    this.#btfs.clear();
    super.close();
  }
}
