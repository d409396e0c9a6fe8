// What the linker accumulates across inputs: output sections, symbols, global symbol resolutions and the merged
// (not yet deduplicated) BTF. Each step module (sections, symbols, relocations, btf-merge, ext-merge) adds one
// input's share to it, in libbpf's order.

import { BtfBuilder } from "@bpfkit/btf";
import type { LinkInput } from "./input.js";
import { Arena, type DatasecVar, OutSection, type OutSymbol } from "./output.js";

/** How one input took part in a global symbol's resolution (for explain). */
export interface SymbolOccurrence {
  readonly input: string;
  readonly role: "strong" | "weak" | "extern";
  readonly hidden: boolean;
}

export interface GlobalSymbol {
  readonly name: string;
  readonly symbol: OutSymbol;
  /** Its output section (ephemeral ones included); undefined for `.extern` externs and free-floating funcs. */
  section: OutSection | undefined;
  /** Merged BTF id of its VAR/FUNC; 0 until the first input's BTF is appended. */
  btfId: number;
  /**
   * libbpf's underlying_btf_id protocol: 0 asks the next BTF append of this symbol's input to record its VAR's
   * type / FUNC's prototype; negative is that input's id awaiting remap; positive is the merged id.
   */
  underlying: number;
  /** Its entry in the section's DATASEC, once one input has described it there. */
  varEntry: DatasecVar | undefined;
  isExtern: boolean;
  isWeak: boolean;
  /** The VAR/FUNC whose underlying type the merged one now carries, for compatibility checks of later inputs. */
  typeSource: { readonly input: LinkInput; readonly id: number };
  /** The input whose definition is the symbol's (undefined while it is only extern). */
  definedIn: string | undefined;
  readonly occurrences: SymbolOccurrence[];
}

/**
 * The string map of the input being merged, one array for all inputs of all links: an input is merged from start
 * to end before the next (whichever Linker it goes to), and the array is cleared whenever the input changes. A
 * typed array per input cost more than mapping its strings. Inputs with bigger string sections get their own.
 */
let sharedMap = new Uint32Array(4096);
/** The `serial` of the input it maps (a number: holding the input would keep it alive after its link). */
let sharedMapOwner = -1;
const SHARED_MAP_LIMIT = 1 << 16;

function stringMapOf(input: LinkInput, end: number): Uint32Array {
  if (input.stringMap) return input.stringMap;
  if (end > SHARED_MAP_LIMIT) {
    input.stringMap = new Uint32Array(end);
    return input.stringMap;
  }
  if (sharedMapOwner !== input.serial) {
    if (sharedMap.length < end) sharedMap = new Uint32Array(Math.max(end, sharedMap.length * 2));
    else sharedMap.fill(0, 0, end);
    sharedMapOwner = input.serial;
  }
  return sharedMap;
}

export class LinkState {
  littleEndian: boolean | undefined;
  readonly sections: OutSection[] = [];
  /** Sections in ELF order (as they stop being ephemeral). */
  readonly elfSections: OutSection[] = [];
  readonly symbols: OutSymbol[] = [];
  readonly globals = new Map<string, GlobalSymbol>();
  readonly btf = new BtfBuilder();
  /** Memory for output section contents. */
  private readonly arena = new Arena();
  /** Inputs added so far: names, bytes and a fingerprint of them (to refuse the same object twice). */
  readonly inputs: { name: string; bytes: Uint8Array; hash: number }[] = [];
  /** Position in `inputs` by name, and positions by fingerprint: the duplicate check stays linear in inputs. */
  readonly inputByName = new Map<string, number>();
  readonly inputsByHash = new Map<number, number[]>();

  /**
   * `input`'s string offset → merged offset + 1 (0: not added yet), for BtfBuilder.copyTypeCached; valid while
   * `input` is being added.
   */
  stringMap(input: LinkInput): Uint32Array {
    return stringMapOf(input, input.btf!.strings.end);
  }

  /** The merged BTF's offset for string `offset` of `input`'s BTF; each string is decoded and added once. */
  mergedString(input: LinkInput, offset: number): number {
    if (offset === 0) return 0;
    const btf = input.btf!;
    const map = stringMapOf(input, btf.strings.end);
    const known = map[offset];
    if (known) return known - 1;
    const merged = this.btf.addStringFrom(btf.strings, offset);
    map[offset] = merged + 1;
    return merged;
  }

  /** Hands the section memory to later links: only when nothing will read or extend the sections again. */
  releaseMemory(): void {
    this.arena.release();
  }

  sectionByName(name: string): OutSection | undefined {
    for (const sec of this.sections) if (sec.name === name) return sec;
    return undefined;
  }

  addSection(
    name: string,
    shape: { type: number; flags: number; entsize: number; align: number; ephemeral: boolean },
  ): OutSection {
    // The fields it takes, not a spread of the whole input section.
    const { type, flags, entsize, ephemeral } = shape;
    const sec = new OutSection(
      this.sections.length + 1,
      name,
      { type, flags, entsize, align: 0, ephemeral },
      this.arena,
    );
    this.sections.push(sec);
    if (!shape.ephemeral) this.materialize(sec, shape);
    return sec;
  }

  /** Makes an ephemeral section a real ELF section, shaped like the first input section with contents. */
  materialize(sec: OutSection, shape: { type: number; flags: number; entsize: number }): void {
    sec.ephemeral = false;
    sec.type = shape.type;
    sec.flags = shape.flags;
    sec.entsize = shape.entsize;
    sec.elfOrder = this.elfSections.length;
    this.elfSections.push(sec);
  }
}
