// Kernel BTF, parsed once: objects by id per backend (a listing meets the same BTF for many programs and maps, and
// a batch file runs many commands on one backend; BTF ids are not reused while the object lives), and vmlinux per
// process (mapped, not read: see @bpfkit/kernel/btf-file).
import { Btf } from "@bpfkit/btf";
import { readKernelBtfFile } from "@bpfkit/kernel/btf-file";
import type { Backend } from "@bpfkit/loader";

const VMLINUX = "/sys/kernel/btf/vmlinux";
let vmlinux: Btf | undefined;

/** The kernel's own BTF (libbpf's btf__load_vmlinux_btf); throws what reading or parsing it threw. */
export function vmlinuxBtf(): Btf {
  vmlinux ??= Btf.parse(readKernelBtfFile(VMLINUX).bytes, { checkCycles: false });
  return vmlinux;
}

const parsed = new WeakMap<Backend, Map<number, Btf>>();

/** BTF object `id` as the kernel holds it; throws what reading it threw. */
export function btfById(backend: Backend, id: number): Btf {
  let cache = parsed.get(backend);
  if (cache === undefined) {
    cache = new Map();
    parsed.set(backend, cache);
  }
  let btf = cache.get(id);
  if (btf === undefined) {
    const fd = backend.fdById("btf", id);
    try {
      btf = Btf.parse(backend.btfData(fd), { checkCycles: false });
    } finally {
      fd.close();
    }
    cache.set(id, btf);
  }
  return btf;
}
