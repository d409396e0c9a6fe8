// Externs (libbpf's bpf_object__collect_externs): undefined GLOBAL/WEAK NOTYPE symbols, typed by the object's
// BTF VAR or FUNC of the same name and classified by the DATASEC holding it: `.kconfig` values live in a map
// libbpf lays out itself (alignment desc, size asc, name), `.ksyms` are kernel variables or kfuncs.

import { type Btf, BtfError, IntEncoding, Kind, kindString, Linkage, resolveSize } from "@bpfkit/btf";
import { SHN_UNDEF, STB_GLOBAL, STB_WEAK, STT_NOTYPE } from "@bpfkit/elf";
import { datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { ExternSpec, KconfigType } from "./spec.js";

/** An extern with the symbol index relocations refer to it by. */
export interface CollectedExtern {
  readonly spec: ExternSpec;
  readonly symbolIndex: number;
}

function kconfigType(btf: Btf, typeId: number): { type: KconfigType; signed: boolean } | undefined {
  const t = btf.skipModsAndTypedefs(typeId);
  const size = btf.sizeField(t);
  switch (btf.kind(t)) {
    case Kind.INT: {
      const encoding = btf.intEncoding(t);
      if (encoding & IntEncoding.BOOL) return size === 1 ? { type: "bool", signed: false } : undefined;
      const signed = (encoding & IntEncoding.SIGNED) !== 0;
      if (size === 1) return { type: "char", signed };
      if (size < 1 || size > 8 || (size & (size - 1)) !== 0) return undefined;
      return { type: "int", signed };
    }
    case Kind.ENUM:
      if (size !== 4 || btf.nameOf(t) !== "libbpf_tristate") return undefined;
      return { type: "tristate", signed: false };
    case Kind.ENUM64:
      return btf.nameOf(t) === "libbpf_tristate" ? { type: "tristate", signed: false } : undefined;
    case Kind.ARRAY: {
      if (btf.arrayLength(t) === 0) return undefined;
      const elem = kconfigType(btf, btf.arrayElemType(t));
      return elem?.type === "char" ? { type: "char-array", signed: false } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The first VAR or FUNC of each name, in one pass that decodes only their names: what extern symbols are looked up
 * in (a few of them, against every VAR and FUNC; cheaper than the Btf's full name index for one object).
 */
function varsAndFuncsByName(btf: Btf): Map<string, number> {
  const byName = new Map<string, number>();
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    const kind = btf.kind(id);
    if (kind !== Kind.VAR && kind !== Kind.FUNC) continue;
    const name = btf.nameOf(id);
    if (!byName.has(name)) byName.set(name, id);
  }
  return byName;
}

/** The first VAR or FUNC named `name` (libbpf's find_extern_btf_id), which must be extern. */
function findExternBtfId(btf: Btf, varsAndFuncs: ReadonlyMap<string, number>, name: string): number {
  const id = varsAndFuncs.get(name);
  if (id === undefined)
    throw new LoaderError("BAD_EXTERN", `failed to find BTF for extern '${name}'`, { symbol: name });
  // VAR linkage word, or the FUNC's linkage (its vlen): extern is 2 in both.
  if (btf.linkage(id) !== Linkage.EXTERN) {
    throw new LoaderError("BAD_EXTERN", `extern '${name}': BTF ${kindString(btf.kind(id))} [${id}] is not extern`, {
      symbol: name,
    });
  }
  return id;
}

/** btf__align_of, 0 where libbpf's fails (a type without alignment). */
function alignOrZero(btf: Btf, id: number): number {
  try {
    return btf.alignOf(id);
  } catch (error) {
    if (error instanceof BtfError) return 0;
    throw error;
  }
}

/** For every VAR/FUNC listed in a DATASEC, the first DATASEC listing it (libbpf's find_extern_sec_btf_id). */
function datasecOwners(btf: Btf): Map<number, number> {
  const owners = new Map<number, number>();
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    if (btf.kind(id) !== Kind.DATASEC) continue;
    for (const e of datasecEntries(btf, id)) if (!owners.has(e.type)) owners.set(e.type, id);
  }
  return owners;
}

/** Collects and sorts the externs; kconfig offsets are assigned here (they only depend on the object). */
export function collectExterns(layout: ObjectLayout, btf: Btf | undefined): CollectedExtern[] {
  const found: { name: string; weak: boolean; btfId: number; symbolIndex: number; section: string }[] = [];
  let varsAndFuncs: Map<string, number> | undefined;
  let owners: Map<number, number> | undefined;
  for (const sym of layout.symtab.symbols) {
    if (sym.shndx !== SHN_UNDEF || sym.type !== STT_NOTYPE) continue;
    if (sym.binding !== STB_GLOBAL && sym.binding !== STB_WEAK) continue;
    if (sym.name === "") continue;
    if (!btf)
      throw new LoaderError("BAD_EXTERN", `extern '${sym.name}' needs BTF, object has none`, { symbol: sym.name });
    varsAndFuncs ??= varsAndFuncsByName(btf);
    const btfId = findExternBtfId(btf, varsAndFuncs, sym.name);
    owners ??= datasecOwners(btf);
    const sec = owners.get(btfId) ?? 0;
    if (sec === 0) {
      throw new LoaderError("BAD_EXTERN", `failed to find BTF for extern '${sym.name}' [${btfId}] section`, {
        symbol: sym.name,
      });
    }
    found.push({
      name: sym.name,
      weak: sym.binding === STB_WEAK,
      btfId,
      symbolIndex: sym.index,
      section: btf.nameOf(sec),
    });
  }
  if (!btf) return [];

  const externs = found.map(({ name, weak, btfId, symbolIndex, section }): CollectedExtern => {
    const isFunc = btf.kind(btfId) === Kind.FUNC;
    const typeId = btf.skipModsAndTypedefs(btf.refType(btfId));
    if (section === ".kconfig") {
      if (isFunc) {
        throw new LoaderError("BAD_EXTERN", `extern function ${name} is unsupported under .kconfig section`, {
          symbol: name,
        });
      }
      const size = resolveSize(btf, btf.refType(btfId));
      if (size <= 0)
        throw new LoaderError("BAD_EXTERN", `failed to resolve size of extern (kcfg) '${name}'`, { symbol: name });
      const align = alignOrZero(btf, btf.refType(btfId));
      if (align <= 0)
        throw new LoaderError("BAD_EXTERN", `failed to determine alignment of extern (kcfg) '${name}'`, {
          symbol: name,
        });
      const kt = kconfigType(btf, btf.refType(btfId));
      if (!kt) throw new LoaderError("BAD_EXTERN", `extern (kcfg) '${name}': type is unsupported`, { symbol: name });
      return {
        spec: { name, kind: "kconfig", weak, btfId, typeId, kconfig: { ...kt, size, align, offset: 0 } },
        symbolIndex,
      };
    }
    if (section === ".ksyms") {
      return {
        spec: { name, kind: "ksym", weak, btfId, typeId, ksym: { isFunc, typed: typeId !== 0 } },
        symbolIndex,
      };
    }
    throw new LoaderError("BAD_EXTERN", `unrecognized extern section '${section}'`, { symbol: name, section });
  });

  // libbpf's cmp_externs: kconfig before ksym; kconfig by alignment desc, size asc; ties by name.
  externs.sort((x, y) => {
    const a = x.spec;
    const b = y.spec;
    if (a.kind !== b.kind) return a.kind === "kconfig" ? -1 : 1;
    if (a.kconfig && b.kconfig) {
      if (a.kconfig.align !== b.kconfig.align) return b.kconfig.align - a.kconfig.align;
      if (a.kconfig.size !== b.kconfig.size) return a.kconfig.size - b.kconfig.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });

  let offset = 0;
  return externs.map((e) => {
    const k = e.spec.kconfig;
    if (!k) return e;
    const at = Math.ceil(offset / k.align) * k.align;
    offset = at + k.size;
    return { ...e, spec: { ...e.spec, kconfig: { ...k, offset: at } } };
  });
}

/** Size of the .kconfig map: end of the last kconfig extern. */
export function kconfigMapSize(externs: readonly CollectedExtern[]): number {
  let size = 0;
  for (const e of externs) if (e.spec.kconfig) size = e.spec.kconfig.offset + e.spec.kconfig.size;
  return size;
}
