// A loaded program of a Collection: its descriptor, test runs, pinning, info, and attaching it (attach/).

import type { Backend, Fd, ProgInfo, ProgramSpec, TestRunAttrs, TestRunResult } from "@bpfkit/loader";
import { type AttachOptions, attachProgram } from "./attach/attach.js";
import type { Link } from "./link-handle.js";

export class ProgramHandle {
  readonly #backend: Backend;
  readonly fd: Fd;
  readonly spec: ProgramSpec;

  constructor(backend: Backend, fd: Fd, spec: ProgramSpec) {
    this.#backend = backend;
    this.fd = fd;
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  /** BPF_PROG_TYPE_* number. */
  get type(): number {
    return this.spec.type;
  }

  /** BPF_PROG_TEST_RUN: runs the program in the kernel on `dataIn` / `ctxIn`. */
  testRun(attrs: TestRunAttrs = {}): TestRunResult {
    return this.#backend.testRun(this.fd, attrs);
  }

  /** Pins the program on bpffs; the pin keeps it loaded after the collection is closed. */
  pin(path: string): void {
    this.#backend.pin(this.fd, path);
  }

  info(): ProgInfo {
    return this.#backend.progInfo(this.fd);
  }

  /**
   * Attaches the program: to what `options` names, or (without options) to the target its SEC() name gives, as
   * libbpf's bpf_program__attach. The Link ends the attachment when closed (unless pinned), and at process exit.
   */
  attach(options?: AttachOptions): Link {
    return attachProgram(this.#backend, this, options);
  }
}
