// One CLI run: the global options, where output goes, and the backend, created on first use so that commands
// which never touch the kernel (help, btf dump file, gen) do not load the syscall layer.
import type { KernelBackend } from "@bpfkit/kernel";
import type { Backend } from "@bpfkit/loader";
import { JsonWriter } from "../json-writer.js";
import type { Args, Handler } from "./args.js";
import { CliError } from "./errors.js";
import type { Output } from "./output.js";

export type BackendName = "kernel" | "vm";

/** `--backend vm` and a program that would be attached: the VM runs programs only in `prog run`. */
export const VM_NO_ATTACH = "cannot attach programs: it runs them only in 'prog run'";

/** What `--backend vm` cannot do, in one line: "backend 'vm' " and `what`. */
export function vmRefusal(what: string): CliError {
  return new CliError(`backend 'vm' ${what}`);
}

export interface GlobalOptions {
  /** -j / -p: JSON output (pretty with -p). */
  readonly json: boolean;
  readonly pretty: boolean;
  /** -d: libbpf-style debug lines from the loader, and verifier logs. */
  readonly debug: boolean;
  /** -f: show where objects are pinned. */
  readonly bpffs: boolean;
  /** -n: do not mount bpffs when pinning. */
  readonly nomount: boolean;
  /** -m: relaxed map definitions. */
  readonly mapcompat: boolean;
  /** -B FILE: base BTF for split BTF files. */
  readonly baseBtf: string | undefined;
  /** -L: `gen skeleton` writes a light skeleton (loader program). */
  readonly useLoader: boolean;
  /** --backend: where programs load and maps live. */
  readonly backend: BackendName;
  /** --explain (ours): `gen object` says which definition of each global symbol won, and why. */
  readonly explain: boolean;
  /** argv[0] as bpftool prints it in help texts. */
  readonly binName: string;
}

export const DEFAULT_OPTIONS: GlobalOptions = {
  json: false,
  pretty: false,
  debug: false,
  bpffs: false,
  nomount: false,
  mapcompat: false,
  baseBtf: undefined,
  useLoader: false,
  backend: "kernel",
  explain: false,
  binName: "bpftool",
};

export class Context {
  readonly options: GlobalOptions;
  readonly out: Output;
  /** The JSON writer with -j/-p, else undefined. */
  readonly json: JsonWriter | undefined;
  /** The help of the command table chosen last, for usage errors (bpftool's last_do_help). */
  lastHelp: Handler | undefined;
  lastHelpArgs: Args | undefined;
  #backend: KernelBackend | undefined;
  #vm: Backend | undefined;
  /** Closed with the run (descriptors a command opened and did not hand on). */
  readonly #cleanups: (() => void)[] = [];

  constructor(options: GlobalOptions, out: Output, json?: JsonWriter) {
    this.options = options;
    this.out = out;
    this.json = options.json ? (json ?? new JsonWriter(options.pretty, (bytes) => out.printBytes(bytes))) : undefined;
  }

  /**
   * The kernel backend, loaded and created on first use. With `--backend vm` there is none: the error says what
   * needed the kernel (`needs`, after "backend 'vm' ..."), so nothing on the VM path reaches bpf(2).
   */
  async backend(needs?: string): Promise<KernelBackend> {
    if (this.options.backend === "vm")
      throw vmRefusal(needs ?? "works on the programs and maps of 'object FILE' only: this command needs the kernel");
    if (this.#backend === undefined) {
      const { KernelBackend } = await import("./kernel.js");
      this.#backend = new KernelBackend();
    }
    return this.#backend;
  }

  /**
   * Where `object FILE` loads, so where the programs and maps PROG and MAP name live: the userspace VM with
   * `--backend vm` (programs compiled to WebAssembly; with it, PROG and MAP resolve only `object FILE` forms), else
   * the kernel. Created on first use.
   */
  async objectBackend(): Promise<Backend> {
    if (this.options.backend !== "vm") return this.backend();
    if (this.#vm === undefined) {
      const [{ BpftoolVm }, { possibleCpus }] = await Promise.all([import("./vm-backend.js"), import("./kernel.js")]);
      // per-CPU values in the kernel's layout: one slot per possible CPU (programs run on CPU 0)
      this.#vm = new BpftoolVm({ engine: "compiled", cpus: possibleCpus() });
    }
    return this.#vm;
  }

  /** With `--backend vm`, fails with "backend 'vm' " and `what` (for commands that only make sense in the kernel). */
  requireKernel(what: string): void {
    if (this.options.backend === "vm") throw vmRefusal(what);
  }

  /** bpftool's p_info: a note on stderr, silent in JSON mode. */
  info(text: string): void {
    if (!this.json) this.out.error(`${text}\n`);
  }

  /** A debug line (-d), as libbpf prints them on stderr. */
  debug(text: string): void {
    if (this.options.debug) this.out.error(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Runs `fn` when the run ends (success or failure). */
  defer(fn: () => void): void {
    this.#cleanups.push(fn);
  }

  close(): void {
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {}
    }
    this.#backend?.close();
    this.#backend = undefined;
    this.#vm?.close();
    this.#vm = undefined;
  }
}
