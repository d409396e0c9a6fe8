// Recording relocations (libbpf's bpf_object__collect_prog_relos + bpf_program__record_reloc): every REL entry
// against code names the instruction it patches and a symbol; the symbol decides what the instruction refers
// to (extern, subprogram call, callback address, map, global data). Nothing is patched here.

import {
  type ElfRelocation,
  SHN_LORESERVE,
  SHN_UNDEF,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_NOTYPE,
  STT_SECTION,
} from "@bpfkit/elf";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { CollectedExtern } from "./externs.js";
import type { RawFunction } from "./functions.js";
import type { MapSpec, RecordedRelocation, RelocationTarget } from "./spec.js";

const CALL = 0x85;
const LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;

/** Finds the function owning a section instruction (libbpf's find_prog_by_sec_insn). */
function owner(functions: readonly RawFunction[], sectionIndex: number, slot: number): RawFunction | undefined {
  for (const fn of functions) {
    if (fn.section.index !== sectionIndex) continue;
    const start = fn.offset / 8;
    if (slot >= start && slot < start + fn.size / 8) return fn;
  }
  return undefined;
}

interface Context {
  readonly layout: ObjectLayout;
  readonly externs: readonly CollectedExtern[];
  readonly maps: readonly MapSpec[];
  /** Section index → data map name. */
  readonly dataMapBySection: ReadonlyMap<number, string>;
  readonly little: boolean;
}

function target(ctx: Context, fn: RawFunction, slot: number, rel: ElfRelocation): RelocationTarget {
  const sym = rel.symbol;
  const code = fn.bytes[slot * 8]!;
  const regs = fn.bytes[slot * 8 + 1]!;
  const src = ctx.little ? regs >> 4 : regs & 0x0f;
  const view = new DataView(fn.bytes.buffer, fn.bytes.byteOffset + slot * 8, 8);
  const imm = view.getInt32(4, ctx.little);
  const symName = sym.type === STT_SECTION && sym.name === "" ? (sym.section?.name ?? "") : sym.name;
  const where = { program: fn.name, section: fn.section.name, insn: slot, symbol: symName };
  const fail = (message: string) => new LoaderError("BAD_RELOCATION", `prog '${fn.name}': ${message}`, where);

  if (code !== CALL && code !== LD_IMM64) {
    throw fail(`invalid relo against '${symName}' for insns[${slot}].code 0x${code.toString(16)}`);
  }

  const isExtern =
    sym.shndx === SHN_UNDEF && (sym.binding === STB_GLOBAL || sym.binding === STB_WEAK) && sym.type === STT_NOTYPE;
  if (isExtern) {
    const ext = ctx.externs.find((e) => e.symbolIndex === sym.index);
    if (!ext) throw fail(`extern relo failed to find extern for '${symName}' (${sym.index})`);
    return code === CALL
      ? { kind: "extern-func", extern: ext.spec.name }
      : { kind: "extern-var", extern: ext.spec.name };
  }

  if (code === CALL) {
    if (src !== PSEUDO_CALL) throw fail("incorrect bpf_call opcode");
    if (sym.shndx === SHN_UNDEF || sym.shndx !== ctx.layout.textIndex) {
      throw fail(`bad call relo against '${symName}' in section '${sym.section?.name ?? sym.shndx}'`);
    }
    if (sym.value % 8 !== 0) throw fail(`bad call relo against '${symName}' at offset ${sym.value}`);
    return { kind: "call", offset: sym.value, symbol: symName };
  }

  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) {
    throw fail(
      `invalid relo against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize global var?..`,
    );
  }

  const isSubprog =
    sym.shndx === ctx.layout.textIndex &&
    ((sym.binding === STB_LOCAL && sym.type === STT_SECTION) || (sym.binding === STB_GLOBAL && sym.type === STT_FUNC));
  if (isSubprog) {
    if (sym.value % 8 !== 0 || imm % 8 !== 0) {
      throw fail(`bad subprog addr relo against '${symName}' at offset ${sym.value}+${imm}`);
    }
    return { kind: "subprog-addr", offset: sym.value, symbol: symName };
  }

  const sectionName = sym.section?.name ?? "";
  if (sym.shndx === ctx.layout.mapsSection?.index || sym.shndx === ctx.layout.legacyMapsSection?.index) {
    const map = ctx.maps.find(
      (m) => (m.kind === "user" || m.kind === "legacy") && m.section === sectionName && m.sectionOffset === sym.value,
    );
    if (!map) throw fail(`map relo failed to find map for section '${sectionName}', off ${sym.value}`);
    return { kind: "map", map: map.name };
  }
  const dataMap = ctx.dataMapBySection.get(sym.shndx);
  if (dataMap === undefined) throw fail(`bad data relo against section '${sectionName}'`);
  return { kind: "data", map: dataMap, offset: sym.value };
}

/** Relocations per function name, each list ascending by instruction. */
export function recordRelocations(
  layout: ObjectLayout,
  functions: readonly RawFunction[],
  externs: readonly CollectedExtern[],
  maps: readonly MapSpec[],
  dataMapBySection: ReadonlyMap<number, string>,
): Map<RawFunction, RecordedRelocation[]> {
  const ctx: Context = { layout, externs, maps, dataMapBySection, little: layout.elf.endianness === "little" };
  const out = new Map<RawFunction, RecordedRelocation[]>(functions.map((f) => [f, []]));
  for (const [sectionIndex, relSection] of layout.codeRelocations) {
    const section = relSection.target;
    relSection.relocations.forEach((rel, i) => {
      if (rel.offset % 8 !== 0 || rel.offset >= section.size) {
        throw new LoaderError(
          "BAD_RELOCATION",
          `sec '${relSection.section.name}': invalid offset 0x${rel.offset.toString(16)} for relo #${i}`,
          {
            section: relSection.section.name,
            offset: rel.offset,
          },
        );
      }
      const slot = rel.offset / 8;
      const fn = owner(functions, sectionIndex, slot);
      // No owner: code of a weak function the linker overrode; libbpf skips these too.
      if (!fn) return;
      const local = slot - fn.offset / 8;
      out.get(fn)!.push({ insn: local, target: target(ctx, fn, local, rel) });
    });
  }
  for (const list of out.values()) list.sort((a, b) => a.insn - b.insn);
  return out;
}
