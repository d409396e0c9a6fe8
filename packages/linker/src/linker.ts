// The linker's API: `link()` for a list of objects, `Linker` to add them one at a time (build tools), each
// input taking libbpf's steps in libbpf's order (bpf_linker__add_file), then finish() (bpf_linker__finalize).

import { appendBtf } from "./btf-merge.js";
import { LinkError } from "./errors.js";
import { explainSymbols, type SymbolResolution } from "./explain.js";
import { appendBtfExt } from "./ext-merge.js";
import { finish } from "./finish.js";
import { readInput } from "./input.js";
import { appendRelocations } from "./relocations.js";
import { appendSectionData } from "./sections.js";
import { LinkState } from "./state.js";
import { appendSymbols } from "./symbols.js";

export interface LinkInputFile {
  /** How errors and explain name this input (usually its path). */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * A cheap fingerprint (length and FNV-1a of every 61st byte): objects with different fingerprints differ, so
 * only equal ones are compared byte for byte.
 */
function fingerprint(bytes: Uint8Array): number {
  let h = 0x811c9dc5 ^ bytes.length;
  for (let i = 0; i < bytes.length; i += 61) h = Math.imul(h ^ bytes[i]!, 16777619);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Linker {
  private readonly state = new LinkState();

  /**
   * @param generalWriter write the output through @bpfkit/elf's general writer instead of straight from the link
   *   state (same bytes; tests compare both).
   * @internal
   */
  constructor(private readonly generalWriter = false) {}
  private failed: LinkError | undefined;
  private output: Uint8Array | undefined;

  /** Adds one object. After a LinkError the linker is spent: later calls throw that error again. */
  add(file: LinkInputFile): void {
    this.usable();
    try {
      this.addInput(file);
    } catch (e) {
      if (e instanceof LinkError) this.failed = e;
      throw e;
    }
  }

  private addInput({ name, bytes }: LinkInputFile): void {
    const state = this.state;
    const hash = fingerprint(bytes);
    // The first earlier input with this name or these bytes (by position, as a scan of the list would find it).
    let duplicate = state.inputByName.get(name) ?? -1;
    for (const i of state.inputsByHash.get(hash) ?? []) {
      if (duplicate >= 0 && i > duplicate) break;
      if (sameBytes(state.inputs[i]!.bytes, bytes)) duplicate = i;
    }
    if (duplicate >= 0) {
      const earlier = state.inputs[duplicate]!;
      throw new LinkError(
        "DUPLICATE_INPUT",
        earlier.name === name ? "given twice" : `same contents as '${earlier.name}' (given twice)`,
        { input: name, otherInput: earlier.name },
      );
    }
    const input = readInput(name, bytes);
    if (state.littleEndian === undefined) state.littleEndian = input.littleEndian;
    else if (state.littleEndian !== input.littleEndian) {
      const first = state.inputs[0]!.name;
      throw new LinkError(
        "BYTE_ORDER",
        `is ${input.littleEndian ? "little" : "big"}-endian but '${first}' is ${state.littleEndian ? "little" : "big"}-endian`,
        { input: name, otherInput: first },
      );
    }
    state.inputByName.set(name, state.inputs.length);
    const sameHash = state.inputsByHash.get(hash);
    if (sameHash) sameHash.push(state.inputs.length);
    else state.inputsByHash.set(hash, [state.inputs.length]);
    state.inputs.push({ name, bytes, hash });
    appendSectionData(state, input);
    const symbols = appendSymbols(state, input);
    appendRelocations(state, input, symbols);
    const typeMap = appendBtf(state, input);
    appendBtfExt(state, input, typeMap);
  }

  /** Writes the linked object. Can be called once; explain() stays available. */
  finish(): Uint8Array {
    this.usable();
    if (this.output) return this.output;
    if (this.state.inputs.length === 0) throw new LinkError("NO_INPUTS", "no input objects to link");
    this.output = finish(this.state, this.generalWriter);
    return this.output;
  }

  /**
   * finish() for a linker nobody uses afterwards (link()'s own): its section memory then serves later links.
   * @internal
   */
  finishAndDrop(): Uint8Array {
    const output = this.finish();
    this.state.releaseMemory();
    return output;
  }

  /** For every global symbol seen so far: which input's definition won, and why. */
  explain(): SymbolResolution[] {
    return explainSymbols(this.state);
  }

  private usable(): void {
    if (this.failed) throw this.failed;
  }
}

/** Links BPF objects into one, as `bpftool gen object OUT IN...` does. Throws LinkError. */
export function link(inputs: readonly LinkInputFile[]): Uint8Array {
  if (inputs.length === 0) throw new LinkError("NO_INPUTS", "no input objects to link");
  const linker = new Linker();
  for (const input of inputs) linker.add(input);
  // The linker is ours and dropped here: its memory can go to the next link (the output is a buffer of its own).
  return linker.finishAndDrop();
}
