// Program discovery (libbpf's bpf_object__add_programs): every STT_FUNC symbol of an executable section is a
// function; functions outside .text are entry programs (several per section allowed), functions in .text are
// subprograms (unless .text holds the object's only function). Static functions outside .text are refused.

import { decodeInstructions } from "@bpfkit/asm";
import { type ElfSection, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STV_HIDDEN, STV_INTERNAL } from "@bpfkit/elf";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";

/** A function as found in the ELF, before relocations and ext info are attached. */
export interface RawFunction {
  readonly name: string;
  readonly section: ElfSection;
  /** Byte offset inside the section. */
  readonly offset: number;
  readonly size: number;
  readonly binding: "global" | "static" | "weak";
  readonly hidden: boolean;
  readonly bytes: Uint8Array;
}

export function discoverFunctions(layout: ObjectLayout): RawFunction[] {
  const out: RawFunction[] = [];
  for (const section of layout.programSections) {
    const inText = section.index === layout.textIndex;
    for (const sym of layout.symtab.symbols) {
      if (sym.shndx !== section.index || sym.type !== STT_FUNC) continue;
      const where = { section: section.name, symbol: sym.name, offset: sym.value };
      if (sym.name === "")
        throw new LoaderError("BAD_PROGRAM", `sec '${section.name}': function without a name`, where);
      if (sym.size === 0 || sym.size % 8 !== 0 || sym.value % 8 !== 0) {
        throw new LoaderError(
          "BAD_PROGRAM",
          `sec '${section.name}': corrupted program '${sym.name}', offset ${sym.value}, size ${sym.size}`,
          where,
        );
      }
      if (sym.value + sym.size > section.size) {
        throw new LoaderError(
          "BAD_PROGRAM",
          `sec '${section.name}': program '${sym.name}' at offset ${sym.value} crosses section boundary`,
          where,
        );
      }
      if (!inText && sym.binding === STB_LOCAL) {
        throw new LoaderError(
          "NOT_SUPPORTED",
          `sec '${section.name}': program '${sym.name}' is static and not supported`,
          where,
        );
      }
      const binding = sym.binding === STB_WEAK ? "weak" : sym.binding === STB_GLOBAL ? "global" : "static";
      out.push({
        name: sym.name,
        section,
        offset: sym.value,
        size: sym.size,
        binding,
        hidden: sym.binding !== STB_LOCAL && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL),
        bytes: section.data.subarray(sym.value, sym.value + sym.size),
      });
    }
  }
  // libbpf's cmp_progs: by section index, then offset. Overlapping functions would make instruction ownership
  // ambiguous, so they are an error.
  out.sort((a, b) => a.section.index - b.section.index || a.offset - b.offset);
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    const cur = out[i]!;
    if (prev.section === cur.section && prev.offset + prev.size > cur.offset) {
      throw new LoaderError(
        "BAD_PROGRAM",
        `sec '${cur.section.name}': functions '${prev.name}' and '${cur.name}' overlap`,
        { section: cur.section.name, symbol: cur.name, offset: cur.offset },
      );
    }
  }
  return out;
}

/** libbpf's prog_is_subprog: a .text function, unless it is the object's only function. */
export function isSubprogram(fn: RawFunction, layout: ObjectLayout, functionCount: number): boolean {
  return fn.section.index === layout.textIndex && functionCount > 1;
}

export function decodeFunction(fn: RawFunction, little: boolean) {
  try {
    return decodeInstructions(fn.bytes, little ? "little" : "big", { lenient: true });
  } catch (error) {
    throw new LoaderError("BAD_PROGRAM", `program '${fn.name}': ${(error as Error).message}`, {
      section: fn.section.name,
      symbol: fn.name,
      cause: error,
    });
  }
}
