// The running kernel's facts that loading an object needs and that libbpf gathers by itself: vmlinux BTF (CO-RE
// target, ksym/kfunc and attach target lookups), module BTFs (split on vmlinux), the kernel version, the Kconfig
// text and kallsyms. Each is read at most once per environment and only when an object asks for it: parsing
// vmlinux is the expensive part of a load, so one environment is meant to be shared by every load in a process
// (`kernelEnvironment()`). Effects are confined to this file (reads under /sys, /proc and /boot).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type KernelSymbol, parseKallsyms } from "@bpfkit/asm";
import { Btf, btfTarget, type CoreTargetBtf } from "@bpfkit/btf";
import { type KernelBtfView, kernelBtfView, kernelVersionCode, LoaderError } from "@bpfkit/loader";
import { readKernelBtfFile } from "./btf-file.js";

export interface KernelEnvironmentOptions {
  /** Directory of kernel BTF files (default /sys/kernel/btf). */
  readonly btfDir?: string;
  /** procfs mount (default /proc): sys/kernel/osrelease, config.gz, kallsyms. */
  readonly procDir?: string;
  /** Directory holding config-$(uname -r) (default /boot). */
  readonly bootDir?: string;
  /** Called for conditions libbpf only logs (an unreadable module BTF). Default: collected in `warnings`. */
  readonly onWarning?: (message: string) => void;
}

/** A loaded module's BTF, split on vmlinux (ids continue vmlinux's). */
export interface ModuleBtf {
  readonly name: string;
  readonly btf: Btf;
  readonly view: KernelBtfView;
  readonly target: CoreTargetBtf;
}

/** Where the Kconfig text came from. */
export interface SystemKconfig {
  readonly text: string;
  readonly path: string;
}

/** Syscall wrapper prefix of the architectures that have one (libbpf's arch_specific_syscall_pfx). */
const SYSCALL_PREFIX: Readonly<Record<string, string>> = {
  x64: "__x64_",
  ia32: "__ia32_",
  arm64: "__arm64_",
  s390x: "__s390x_",
  s390: "__s390_",
  arm: "__arm_",
  riscv64: "__riscv_",
  ppc64: "",
  loong64: "",
};

export class KernelEnvironment {
  readonly btfDir: string;
  readonly procDir: string;
  readonly bootDir: string;
  /** Notes such as "module BTF foo unreadable, skipped". */
  readonly warnings: string[] = [];
  readonly #onWarning: (message: string) => void;
  #release: string | undefined;
  #vmlinux: { btf: Btf; view: KernelBtfView; target: CoreTargetBtf } | undefined;
  #modules: ModuleBtf[] | undefined;
  #kconfig: SystemKconfig | null | undefined;
  #kallsyms: KernelSymbol[] | undefined;
  #syscallWrapper: boolean | undefined;

  constructor(options: KernelEnvironmentOptions = {}) {
    this.btfDir = options.btfDir ?? "/sys/kernel/btf";
    this.procDir = options.procDir ?? "/proc";
    this.bootDir = options.bootDir ?? "/boot";
    this.#onWarning = options.onWarning ?? ((message) => this.warnings.push(message));
  }

  /** `uname -r`, from /proc/sys/kernel/osrelease. */
  get release(): string {
    this.#release ??= readFileSync(join(this.procDir, "sys/kernel/osrelease"), "utf8").trim();
    return this.#release;
  }

  /** KERNEL_VERSION(major, minor, patch) of the running kernel (LINUX_KERNEL_VERSION, kern_version). */
  get kernelVersion(): number {
    return kernelVersionCode(this.release);
  }

  #loadVmlinux() {
    if (this.#vmlinux) return this.#vmlinux;
    const path = join(this.btfDir, "vmlinux");
    let bytes: Uint8Array;
    try {
      // mmap'ed when the kernel allows it (>= 6.16): one syscall instead of ~1,350 page-sized reads. The mapping
      // lives as long as the Btf (it keeps views of the bytes), i.e. as long as this environment.
      bytes = readKernelBtfFile(path).bytes;
    } catch (error) {
      throw new LoaderError(
        "UNRESOLVED",
        `kernel BTF ${path} is not readable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
          "the kernel needs CONFIG_DEBUG_INFO_BTF=y, or pass btfCustomPath",
        { cause: error },
      );
    }
    // No eager index: the name index answers its first lookups by native string search and builds its hash
    // chains by itself after a few names, which keeps a one-load process fast and later loads O(1) per name.
    // The kernel refuses BTF with reference loops when it loads it (vmlinux at boot, modules on load), so the
    // cycle walk is skipped here (libbpf's btf__parse has none either); every other check runs.
    const btf = Btf.parse(bytes, { section: path, checkCycles: false });
    this.#vmlinux = { btf, view: kernelBtfView(btf), target: btfTarget("vmlinux", btf) };
    return this.#vmlinux;
  }

  /** vmlinux BTF, parsed once. */
  get vmlinux(): Btf {
    return this.#loadVmlinux().btf;
  }

  /** Name → id lookups in vmlinux for ksyms, kfuncs and attach targets. */
  get vmlinuxView(): KernelBtfView {
    return this.#loadVmlinux().view;
  }

  /** vmlinux as a CO-RE target (indexed). */
  get vmlinuxTarget(): CoreTargetBtf {
    return this.#loadVmlinux().target;
  }

  /**
   * Module BTFs from the BTF directory, split on vmlinux. A module file that cannot be read or parsed is skipped
   * with a warning instead of failing every load (cilium/ebpf#1436: one broken module must not block loading).
   */
  get modules(): readonly ModuleBtf[] {
    if (this.#modules) return this.#modules;
    const base = this.vmlinux;
    const modules: ModuleBtf[] = [];
    let names: string[];
    try {
      names = readdirSync(this.btfDir).sort();
    } catch {
      names = [];
    }
    for (const name of names) {
      if (name === "vmlinux") continue;
      try {
        const path = join(this.btfDir, name);
        const btf = Btf.parse(readKernelBtfFile(path).bytes, { base, section: path, checkCycles: false });
        modules.push({ name, btf, view: kernelBtfView(btf), target: btfTarget(name, btf) });
      } catch (error) {
        this.#onWarning(`module BTF ${join(this.btfDir, name)} skipped: ${(error as Error).message}`);
      }
    }
    this.#modules = modules;
    return modules;
  }

  /** Kconfig locations in libbpf's order: /boot/config-$(uname -r), then /proc/config.gz. */
  get kconfigPaths(): readonly string[] {
    return [join(this.bootDir, `config-${this.release}`), join(this.procDir, "config.gz")];
  }

  /** The running kernel's Kconfig text, or undefined when no location has it. Read once. */
  systemKconfig(): SystemKconfig | undefined {
    if (this.#kconfig !== undefined) return this.#kconfig ?? undefined;
    this.#kconfig = null;
    for (const path of this.kconfigPaths) {
      let raw: Buffer;
      try {
        raw = readFileSync(path);
      } catch {
        continue;
      }
      let text: string;
      try {
        text = (path.endsWith(".gz") ? gunzip(raw) : raw).toString("utf8");
      } catch (error) {
        throw new LoaderError("BAD_VALUE", `kernel config ${path} is not valid gzip: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.#kconfig = { text, path };
      break;
    }
    return this.#kconfig ?? undefined;
  }

  /** /proc/kallsyms, parsed once (addresses are zero without CAP_SYSLOG). */
  kallsyms(): readonly KernelSymbol[] {
    if (this.#kallsyms) return this.#kallsyms;
    const path = join(this.procDir, "kallsyms");
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new LoaderError(
        "UNRESOLVED",
        `typeless ksym externs need ${path}, which is not readable (${(error as NodeJS.ErrnoException).code})`,
        { cause: error },
      );
    }
    this.#kallsyms = parseKallsyms(text);
    return this.#kallsyms;
  }

  /**
   * LINUX_HAS_SYSCALL_WRAPPER. libbpf probes it by creating a kprobe on the prefixed `sys_bpf`; kprobes may be
   * missing (they are on this kernel), so we ask vmlinux BTF whether the prefixed function exists instead.
   */
  get syscallWrapper(): boolean {
    if (this.#syscallWrapper === undefined) {
      const prefix = SYSCALL_PREFIX[process.arch] ?? "";
      this.#syscallWrapper = prefix !== "" && this.vmlinuxView.findByNameKind(`${prefix}sys_bpf`, 12) > 0;
    }
    return this.#syscallWrapper;
  }
}

let shared: KernelEnvironment | undefined;

/** The process-wide environment (vmlinux parsed once for every load). With options, a new one. */
export function kernelEnvironment(options?: KernelEnvironmentOptions): KernelEnvironment {
  if (options !== undefined) return new KernelEnvironment(options);
  shared ??= new KernelEnvironment();
  return shared;
}

/**
 * zlib's gunzip, loaded only when a gzipped config is read: node:zlib brings Node's whole streams stack with it
 * (about 20 internal modules), a cost every short-lived process that loads this module would pay otherwise.
 */
function gunzip(bytes: Buffer): Buffer {
  return process.getBuiltinModule("node:zlib").gunzipSync(bytes);
}
