// An input's BTF joins the merged BTF (libbpf's linker_append_btf): every type but DATASECs is copied, except
// that a global VAR/FUNC already merged from an earlier input is reused; type ids are then remapped; a symbol
// whose definition this input supplied gets this input's type; and DATASEC entries are collected per output
// section (the DATASECs themselves are written at the end, when sizes are final).
//
// One deliberate difference from libbpf 1.1 (see docs/decisions.md): when this input's definition won a symbol
// that an earlier input described first (an extern map, a weak map or variable), its DATASEC entry moves to the
// winning definition. libbpf keeps the first entry's offset, so its output points at a dead weak copy or at
// offset 0 and fails to open ("map relo failed to find map").

import { Kind, resolveSize } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import type { LinkInput } from "./input.js";
import type { GlobalSymbol, LinkState } from "./state.js";

function isNonStatic(kind: number, linkage: number): boolean {
  return (kind === Kind.VAR || kind === Kind.FUNC) && linkage !== 0;
}

/**
 * One zeroed id map for the input being merged, over memory shared by all inputs (as LinkState's string map):
 * the map lives only while its input is added (appendBtf, then appendBtfExt).
 */
let sharedTypeMap = new Uint32Array(1024);

function typeMapFor(count: number): Uint32Array {
  if (count > 1 << 16) return new Uint32Array(count);
  if (sharedTypeMap.length < count) sharedTypeMap = new Uint32Array(Math.max(count, sharedTypeMap.length * 2));
  else sharedTypeMap.fill(0, 0, count);
  return sharedTypeMap.subarray(0, count);
}

/**
 * Appends the input's BTF; returns its type id → merged type id map, valid until the next input's BTF is
 * appended.
 */
export function appendBtf(state: LinkState, input: LinkInput): Uint32Array | undefined {
  const btf = input.btf;
  if (!btf) return undefined;
  const builder = state.btf;
  // At most all of its words and strings are added: each buffer grows once (strings estimated from the bytes).
  builder.reserve(btf.words.length, btf.strings.bytes.length, btf.strings.bytes.length >>> 3);
  const firstNew = builder.typeCount;
  const typeMap = typeMapFor(btf.typeCount);
  const strings = state.stringMap(input);
  const adopted: { glob: GlobalSymbol; srcType: number }[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const kind = btf.kind(id);
    if (kind === Kind.DATASEC) continue;
    let glob: GlobalSymbol | undefined;
    if (isNonStatic(kind, btf.linkage(id))) {
      glob = state.globals.get(btf.nameOf(id));
      // No symbol: a VAR of a deduplicated section (license, version); it is not carried over.
      if (!glob) continue;
      if (glob.underlying === 0) {
        adopted.push({ glob, srcType: btf.refType(id) });
        glob.underlying = -1; // pending: set once this input's ids are remapped
      }
      if (glob.btfId) {
        typeMap[id] = glob.btfId;
        continue;
      }
    }
    const newId = builder.copyTypeCached(btf, id, strings);
    typeMap[id] = newId;
    if (glob) glob.btfId = newId;
  }
  const remap = (old: number) => {
    const to = typeMap[old];
    if (old !== 0 && !to) {
      throw new LinkError("BAD_BTF", `BTF type #${old} refers to a type that was not carried over`, {
        input: input.name,
      });
    }
    return to ?? 0;
  };
  const unmapped = builder.remapTypeIdsFrom(firstNew, typeMap);
  if (unmapped !== 0) remap(unmapped);
  // A VAR/FUNC now stands for this input's definition: point it at this input's type / prototype.
  for (const { glob, srcType } of adopted) {
    glob.underlying = remap(srcType);
    builder.typeWords(glob.btfId)[2] = glob.underlying;
  }
  appendDatasecVars(state, input, typeMap);
  return typeMap;
}

function appendDatasecVars(state: LinkState, input: LinkInput, typeMap: Uint32Array): void {
  const btf = input.btf!;
  for (let i = 1; i < input.sections.length; i++) {
    const sec = input.sections[i]!;
    if (!sec.datasecId || sec.skipped || !sec.out) continue;
    const out = sec.out;
    // Kept even without variables: the section still needs its DATASEC (e.g. .rodata of promoted initializers).
    out.hasBtf = true;
    const vlen = btf.vlen(sec.datasecId);
    for (let j = 0; j < vlen; j++) {
      const srcType = btf.datasecVarType(sec.datasecId, j);
      const kind = btf.kind(srcType);
      const glob = isNonStatic(kind, btf.linkage(srcType)) ? state.globals.get(btf.nameOf(srcType)) : undefined;
      if (glob && glob.section !== out) {
        throw new LinkError(
          "SECTION_MISMATCH",
          `'${glob.name}' is in section '${out.name}' here but in '${glob.section?.name ?? "(none)"}' where it is defined`,
          { input: input.name, symbol: glob.name, section: out.name },
        );
      }
      const offset = sec.outOffset + sec.varOffsets![j]!;
      if (glob?.varEntry) {
        // FUNCs (kfuncs in .ksyms) have no size (libbpf 1.1 fails here; later libbpf skips them, as we do).
        if (kind === Kind.FUNC) continue;
        // The type may have changed with the winning definition, and so may the size.
        const source = glob.typeSource;
        const size = resolveSize(source.input.btf!, source.input.btf!.refType(source.id));
        if (size < 0) {
          throw new LinkError("BAD_BTF", `failed to resolve the size of '${glob.name}'`, {
            input: input.name,
            symbol: glob.name,
          });
        }
        glob.varEntry.size = size;
        if (glob.definedIn === input.name && !sec.ephemeral) glob.varEntry.offset = offset;
        continue;
      }
      const entry = { type: typeMap[srcType]!, offset, size: btf.datasecVarSize(sec.datasecId, j) };
      out.vars.push(entry);
      if (glob) glob.varEntry = entry;
    }
  }
}
