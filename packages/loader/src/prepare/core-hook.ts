// The seam to the CO-RE engine (`relocateCore` of @bpfkit/btf's core). The loader does not import it directly:
// callers pass the engine in (`{ relocate: relocateCore, targets }`), which keeps this package's dependency on
// the engine's entry point explicit and lets tests or tools substitute their own. The types below are the
// structural subset of the engine's options/result the loader fills and reads.

import type { Btf } from "@bpfkit/btf";
import type { CoreRelocationRecord } from "../btf/btf-ext.js";

export interface CoreProgramInput {
  readonly name: string;
  /** ELF section of the function. */
  readonly section: string;
  readonly sectionInsnOffset: number;
  /** Instruction bytes of the function (not modified by the engine). */
  readonly insns: Uint8Array;
  readonly autoload?: boolean;
}

export interface CoreRelocateOptions<Targets> {
  /** The object's BTF; Btf implements the engine's read-only CoreBtf view. */
  readonly localBtf: Btf;
  readonly sections: readonly { readonly name: string; readonly records: readonly CoreRelocationRecord[] }[];
  readonly programs: readonly CoreProgramInput[];
  readonly targets?: Targets;
  readonly littleEndian?: boolean;
  readonly onTrace?: (line: string) => void;
}

export interface CoreRelocateResult<Applied> {
  /** Patched copies of each program's instructions, in input order. */
  readonly insns: Uint8Array[];
  readonly relocations: Applied[];
}

/** Signature-compatible with `relocateCore` from @bpfkit/btf. */
export type CoreRelocator<Targets = unknown, Applied = unknown> = (
  options: CoreRelocateOptions<Targets>,
) => CoreRelocateResult<Applied>;

export interface CoreOptions<Targets = unknown, Applied = unknown> {
  readonly relocate: CoreRelocator<Targets, Applied>;
  /** Target BTFs (vmlinux + modules, or a custom BTF); only TYPE_ID_LOCAL works without. */
  readonly targets?: Targets;
  readonly onTrace?: (line: string) => void;
}
