// Symbols: locals are copied (one STT_SECTION symbol per output section), globals are resolved by name with
// libbpf's rules (linker_append_elf_sym): two strong definitions conflict, strong beats weak, the first weak wins
// among weaks, a definition resolves an extern, STB_GLOBAL anywhere makes the result global, and hidden
// visibility is contaminating. Every decision is recorded on the GlobalSymbol for explain.

import { type Btf, Kind, kindString, Linkage } from "@bpfkit/btf";
import { type ElfSymbol, SHN_LORESERVE, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_SECTION, STV_HIDDEN } from "@bpfkit/elf";
import { btfMismatch, mapDefDifferences } from "./btf-match.js";
import { LinkError } from "./errors.js";
import { EXTERN_DATASEC, type InputSection, inputSectionByName, type LinkInput } from "./input.js";
import type { OutSection, OutSymbol } from "./output.js";
import type { GlobalSymbol, LinkState } from "./state.js";

/** Output symbol of each input symbol index (undefined for symbols of skipped sections). */
export type SymbolMap = (OutSymbol | undefined)[];

function isNonStatic(btf: Btf, id: number): boolean {
  const kind = btf.kind(id);
  return (kind === Kind.VAR || kind === Kind.FUNC) && btf.linkage(id) !== Linkage.STATIC;
}

interface GlobalBtf {
  /** The DATASEC describing it, 0 for a free-floating FUNC/VAR. */
  datasecId: number;
  btfId: number;
  ambiguousWith?: number;
}

/**
 * Where each global name is described in an input's BTF (libbpf's find_glob_sym_btf, computed for all names in
 * one pass instead of one scan per symbol): the first DATASEC entry wins; a non-static VAR/FUNC seen earlier
 * under the same name must be that entry, and with no DATASEC entry the last such VAR/FUNC is used.
 */
function indexGlobalBtf(btf: Btf): Map<string, GlobalBtf> {
  const found = new Map<string, GlobalBtf>();
  const lastNonStatic = new Map<string, number>();
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    if (isNonStatic(btf, id)) {
      const name = btf.nameOf(id);
      lastNonStatic.set(name, id);
      if (!found.get(name)?.datasecId) found.set(name, { datasecId: 0, btfId: id });
      continue;
    }
    if (btf.kind(id) !== Kind.DATASEC) continue;
    const vlen = btf.vlen(id);
    for (let j = 0; j < vlen; j++) {
      const entry = btf.datasecVarType(id, j);
      const kind = btf.kind(entry);
      if ((kind === Kind.VAR || kind === Kind.FUNC) && btf.linkage(entry) === Linkage.STATIC) continue;
      const name = btf.nameOf(entry);
      if (found.get(name)?.datasecId) continue;
      const earlier = lastNonStatic.get(name);
      found.set(
        name,
        earlier !== undefined && earlier !== entry
          ? { datasecId: id, btfId: entry, ambiguousWith: earlier }
          : { datasecId: id, btfId: entry },
      );
    }
  }
  return found;
}

function roleOf(sym: ElfSymbol): "strong" | "weak" | "extern" {
  if (sym.shndx === 0) return "extern";
  return sym.binding === STB_WEAK ? "weak" : "strong";
}

export function appendSymbols(state: LinkState, input: LinkInput): SymbolMap {
  const map: SymbolMap = new Array(input.symtab.symbols.length);
  let globalBtf: Map<string, GlobalBtf> | undefined;
  for (const sym of input.symtab.symbols) {
    if (sym.index === 0) continue;
    let srcSec: InputSection | undefined;
    let outSec: OutSection | undefined;
    const isExtern = sym.shndx === 0;
    if (isExtern) {
      if (!input.btf) {
        throw new LinkError("BAD_BTF", `extern '${sym.name}' has no BTF (externs without BTF are not supported)`, {
          input: input.name,
          symbol: sym.name,
        });
      }
    } else if (sym.shndx < SHN_LORESERVE) {
      srcSec = input.sections[sym.shndx]!;
      if (srcSec.skipped) continue;
      outSec = srcSec.out;
      if (sym.type === STT_SECTION && outSec?.sectionSymbol) {
        map[sym.index] = outSec.sectionSymbol;
        continue;
      }
    }
    if (sym.binding === STB_LOCAL) {
      map[sym.index] = addSymbol(state, sym, srcSec, outSec);
      continue;
    }

    if (!input.btf) {
      throw new LinkError(
        "BAD_BTF",
        `failed to find BTF info for global symbol '${sym.name}': the object has no .BTF`,
        {
          input: input.name,
          symbol: sym.name,
        },
      );
    }
    globalBtf ??= indexGlobalBtf(input.btf);
    const described = globalBtf.get(sym.name);
    if (!described) {
      throw new LinkError("BAD_BTF", `failed to find BTF info for global/extern symbol '${sym.name}'`, {
        input: input.name,
        symbol: sym.name,
      });
    }
    if (described.ambiguousWith !== undefined) {
      throw new LinkError(
        "BAD_BTF",
        `global/extern '${sym.name}' BTF is ambiguous: both types #${described.ambiguousWith} and #${described.btfId} match`,
        { input: input.name, symbol: sym.name },
      );
    }
    if (isExtern && described.datasecId) {
      const secName = input.btf.nameOf(described.datasecId);
      // Clang puts extern variables without a section into `.extern`; they are treated like extern functions.
      if (secName !== EXTERN_DATASEC) {
        srcSec = inputSectionByName(input, secName);
        if (!srcSec) {
          throw new LinkError("BAD_INPUT", `failed to find matching ELF section '${secName}' of extern '${sym.name}'`, {
            input: input.name,
            symbol: sym.name,
            section: secName,
          });
        }
        outSec = srcSec.out;
      }
    }

    const role = roleOf(sym);
    const occurrence = { input: input.name, role, hidden: sym.visibility === STV_HIDDEN } as const;
    const glob = state.globals.get(sym.name);
    if (!glob) {
      const out = addSymbol(state, sym, srcSec, outSec);
      map[sym.index] = out;
      state.globals.set(sym.name, {
        name: sym.name,
        symbol: out,
        section: outSec,
        btfId: 0,
        underlying: 0,
        varEntry: undefined,
        isExtern,
        isWeak: sym.binding === STB_WEAK,
        typeSource: { input, id: described.btfId },
        definedIn: isExtern ? undefined : input.name,
        occurrences: [occurrence],
      });
      continue;
    }
    map[sym.index] = glob.symbol;
    resolve(state, glob, input, sym, described.btfId, srcSec, outSec);
    glob.occurrences.push(occurrence);
  }
  return map;
}

/** A second (or later) occurrence of a global name meets the symbol resolved so far. */
function resolve(
  state: LinkState,
  glob: GlobalSymbol,
  input: LinkInput,
  sym: ElfSymbol,
  btfId: number,
  srcSec: InputSection | undefined,
  outSec: OutSection | undefined,
): void {
  const isExtern = sym.shndx === 0;
  const earlier = glob.definedIn ?? glob.typeSource.input.name;
  if (!isExtern && !glob.isExtern && !glob.isWeak && sym.binding !== STB_WEAK) {
    throw new LinkError(
      "SYMBOL_CONFLICT",
      `conflicting strong definitions of '${sym.name}' in '${earlier}' and '${input.name}' (at most one may be non-weak)`,
      { input: input.name, otherInput: earlier, symbol: sym.name },
    );
  }
  checkCompatible(glob, input, btfId, earlier);

  const out = glob.symbol;
  if (sym.binding === STB_GLOBAL) {
    out.binding = STB_GLOBAL;
    glob.isWeak = false;
  }
  if (sym.visibility > out.visibility) out.visibility = sym.visibility;
  // An extern never replaces anything; a weak definition loses to any definition already there.
  if (isExtern) return;
  if (!glob.isExtern && sym.binding === STB_WEAK) return;

  // A strong definition, or the first definition of an extern: it becomes the symbol's.
  out.type = sym.type;
  out.section = outSec;
  out.value = (srcSec?.outOffset ?? 0) + sym.value;
  out.size = sym.size;
  glob.section = outSec;
  glob.isExtern = false;
  glob.definedIn = input.name;
  completeExternBtf(state, glob, input, btfId);
  glob.underlying = 0;
  glob.typeSource = { input, id: btfId };
}

function checkCompatible(glob: GlobalSymbol, input: LinkInput, btfId: number, earlier: string): void {
  const btf = input.btf!;
  const kind = btf.kind(btfId);
  const context = { input: input.name, otherInput: earlier, symbol: glob.name };
  if (kind !== Kind.VAR && kind !== Kind.FUNC) {
    throw new LinkError(
      "TYPE_MISMATCH",
      `only extern variables and functions are supported, but '${glob.name}' is a ${kindString(kind)} in '${input.name}'`,
      context,
    );
  }
  const here = { btf, id: btfId };
  const there = { btf: glob.typeSource.input.btf!, id: glob.typeSource.id };
  if (glob.section?.name === ".maps") {
    const fields = mapDefDifferences(there, here, glob.name);
    if (fields.length > 0) {
      throw new LinkError(
        "MAP_MISMATCH",
        `map '${glob.name}' is defined differently in '${glob.typeSource.input.name}' and '${input.name}': ${fields.join(", ")}`,
        { ...context, otherInput: glob.typeSource.input.name, fields },
      );
    }
    return;
  }
  const why = btfMismatch(there, here, true);
  if (why) {
    throw new LinkError(
      "TYPE_MISMATCH",
      `'${glob.name}' has incompatible types in '${glob.typeSource.input.name}' and '${input.name}': ${why}`,
      { ...context, otherInput: glob.typeSource.input.name },
    );
  }
}

/**
 * libbpf's complete_extern_btf_info: the merged VAR becomes an allocated global, the merged FUNC global, and the
 * prototype it points at so far gets the definition's parameter names (extern prototypes may lack them), so
 * that dedup can merge the two prototypes.
 */
function completeExternBtf(state: LinkState, glob: GlobalSymbol, input: LinkInput, btfId: number): void {
  if (!glob.btfId) return; // not appended yet (an earlier symbol of this same input); nothing merged to fix
  const merged = state.btf.typeWords(glob.btfId);
  const info = merged[1]!;
  if (((info >>> 24) & 0x1f) === Kind.VAR) {
    merged[3] = Linkage.GLOBAL;
    return;
  }
  merged[1] = (Kind.FUNC << 24) | Linkage.GLOBAL;
  const src = input.btf!;
  const srcProto = src.refType(btfId);
  const proto = state.btf.typeWords(merged[2]!);
  const count = Math.min(src.vlen(srcProto), proto[1]! & 0xffff);
  for (let i = 0; i < count; i++) {
    const nameOff = src.paramNameOff(srcProto, i);
    if (nameOff) proto[3 + 2 * i] = state.mergedString(input, nameOff);
  }
}

function addSymbol(
  state: LinkState,
  sym: ElfSymbol,
  srcSec: InputSection | undefined,
  outSec: OutSection | undefined,
): OutSymbol {
  const out: OutSymbol = {
    index: state.symbols.length,
    name: sym.name,
    value: (srcSec?.outOffset ?? 0) + sym.value,
    size: sym.size,
    type: sym.type,
    binding: sym.binding,
    visibility: sym.visibility,
    // An extern stays undefined even when its section (say `.maps`) later gets contents from another input.
    section: sym.shndx === 0 ? undefined : sym.shndx >= SHN_LORESERVE ? sym.shndx : outSec,
  };
  if (sym.type === STT_SECTION && outSec) {
    outSec.sectionSymbol = out;
    out.value = 0;
  }
  state.symbols.push(out);
  return out;
}
