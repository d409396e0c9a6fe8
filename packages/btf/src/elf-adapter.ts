// BTF out of a BPF object file: the `.BTF` section (and `.BTF.ext`) located with @bpfkit/elf. ELF problems
// surface as ElfError from that package; BTF problems as BtfError.

import { type ElfFile, parseElf } from "@bpfkit/elf";
import { Btf, type BtfParseOptions } from "./btf.js";
import { type BtfExt, parseBtfExt } from "./btf-ext.js";
import { BtfError } from "./errors.js";

export interface ObjectBtf {
  readonly btf: Btf;
  /** Undefined when the object has no .BTF.ext section. */
  readonly ext: BtfExt | undefined;
}

function elfOf(input: Uint8Array | ElfFile): ElfFile {
  return input instanceof Uint8Array ? parseElf(input) : input;
}

/** The object's `.BTF`, parsed. Throws BtfError NO_BTF when it has none. */
export function btfFromElf(input: Uint8Array | ElfFile, options: BtfParseOptions = {}): Btf {
  const section = elfOf(input).sectionByName(".BTF");
  if (!section) throw new BtfError("NO_BTF", "object has no .BTF section");
  return Btf.parse(section.data, options);
}

/** The object's `.BTF` and `.BTF.ext` (section names resolved against the .BTF strings). */
export function parseObjectBtf(input: Uint8Array | ElfFile, options: BtfParseOptions = {}): ObjectBtf {
  const elf = elfOf(input);
  const btf = btfFromElf(elf, options);
  const extSection = elf.sectionByName(".BTF.ext");
  const ext = extSection ? parseBtfExt(extSection.data, { btf }) : undefined;
  return { btf, ext };
}
