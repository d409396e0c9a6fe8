// Externs (libbpf's bpf_object__collect_externs): undefined GLOBAL/WEAK NOTYPE symbols, typed by the object's
// BTF VAR or FUNC of the same name and classified by the DATASEC holding it: `.kconfig` values live in a map
// libbpf lays out itself (alignment desc, size asc, name), `.ksyms` are kernel variables or kfuncs.

import { Kind, kindString, Linkage } from "@bpfkit/btf";
import { SHN_UNDEF, STB_GLOBAL, STB_WEAK, STT_NOTYPE } from "@bpfkit/elf";
import type { ObjectBtf } from "../btf/object-btf.js";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { ExternSpec, KconfigType } from "./spec.js";

/** An extern with the symbol index relocations refer to it by. */
export interface CollectedExtern {
  readonly spec: ExternSpec;
  readonly symbolIndex: number;
}

function kconfigType(btf: ObjectBtf, typeId: number): { type: KconfigType; signed: boolean } | undefined {
  const t = btf.skipModsAndTypedefs(typeId);
  const size = btf.sizeField(t);
  switch (btf.kind(t)) {
    case Kind.INT: {
      if (btf.isBoolInt(t)) return size === 1 ? { type: "bool", signed: false } : undefined;
      const signed = btf.isSignedInt(t);
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

function findExternBtfId(btf: ObjectBtf, name: string): number {
  const id = btf.firstVarOrFunc(name);
  if (id !== 0) {
    const kind = btf.kind(id);
    const linkage = kind === Kind.VAR ? btf.varLinkage(id) : btf.funcLinkage(id);
    if (linkage !== (kind === Kind.VAR ? Linkage.EXTERN : Linkage.EXTERN)) {
      throw new LoaderError("BAD_EXTERN", `extern '${name}': BTF ${kindString(kind)} [${id}] is not extern`, {
        symbol: name,
      });
    }
    return id;
  }
  throw new LoaderError("BAD_EXTERN", `failed to find BTF for extern '${name}'`, { symbol: name });
}

/** For every VAR/FUNC listed in a DATASEC, the first DATASEC listing it (libbpf's find_extern_sec_btf_id). */
function datasecOwners(btf: ObjectBtf): Map<number, number> {
  const owners = new Map<number, number>();
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kind(id) !== Kind.DATASEC) continue;
    for (const e of btf.datasecEntries(id)) if (!owners.has(e.type)) owners.set(e.type, id);
  }
  return owners;
}

/** Collects and sorts the externs; kconfig offsets are assigned here (they only depend on the object). */
export function collectExterns(layout: ObjectLayout, btf: ObjectBtf | undefined): CollectedExtern[] {
  const found: { name: string; weak: boolean; btfId: number; symbolIndex: number; section: string }[] = [];
  let owners: Map<number, number> | undefined;
  for (const sym of layout.symtab.symbols) {
    if (sym.shndx !== SHN_UNDEF || sym.type !== STT_NOTYPE) continue;
    if (sym.binding !== STB_GLOBAL && sym.binding !== STB_WEAK) continue;
    if (sym.name === "") continue;
    if (!btf)
      throw new LoaderError("BAD_EXTERN", `extern '${sym.name}' needs BTF, object has none`, { symbol: sym.name });
    const btfId = findExternBtfId(btf, sym.name);
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
      const size = btf.resolveSize(btf.refType(btfId));
      if (!size)
        throw new LoaderError("BAD_EXTERN", `failed to resolve size of extern (kcfg) '${name}'`, { symbol: name });
      const align = btf.alignOf(btf.refType(btfId));
      if (!align)
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
