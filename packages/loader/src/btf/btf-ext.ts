// .BTF.ext: per ELF section, the func_info, line_info and CO-RE relocation records clang emitted. Instruction
// offsets are kept as clang wrote them (bytes inside the section); the loader converts them to instruction
// indexes when it cuts the records per program. Decoding and every bounds check are @bpfkit/btf's parseBtfExt
// (record sizes from the file, counts checked before allocating); this file maps its records to the loader's
// shapes and names sections through the object's BTF. A malformed .BTF.ext is BtfError, like a malformed .BTF.

import { type Btf, BtfError, type BtfExtSubsection, parseBtfExt as decodeBtfExt } from "@bpfkit/btf";

export interface FuncInfoRecord {
  /** Byte offset of the instruction inside its ELF section. */
  readonly insnOff: number;
  readonly typeId: number;
}

export interface LineInfoRecord {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** line << 10 | column. */
  readonly lineCol: number;
}

export interface CoreRelocationRecord {
  readonly insnOff: number;
  readonly typeId: number;
  readonly accessStrOff: number;
  readonly kind: number;
}

export interface BtfExtSection<T> {
  readonly section: string;
  readonly records: readonly T[];
}

export interface BtfExt {
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly funcInfo: readonly BtfExtSection<FuncInfoRecord>[];
  readonly lineInfo: readonly BtfExtSection<LineInfoRecord>[];
  readonly coreRelos: readonly BtfExtSection<CoreRelocationRecord>[];
}

function bad(message: string, offset?: number): never {
  throw new BtfError("BAD_EXT", message, { section: ".BTF.ext", offset });
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const ext = decodeBtfExt(bytes);
  // Records are read in the file's byte order; .BTF and .BTF.ext of one object must agree on it.
  if (ext.littleEndian !== btf.littleEndian) bad("byte order differs from .BTF", 0);

  function sections<R, T>(
    subsection: BtfExtSubsection<R> | undefined,
    what: string,
    map: (record: R) => T,
  ): BtfExtSection<T>[] {
    if (!subsection) return [];
    return subsection.sections.map((section) => {
      const name = btf.stringAt(section.nameOff);
      if (name === undefined) bad(`${what} section name offset ${section.nameOff} is out of range`);
      return { section: name, records: section.records.map(map) };
    });
  }

  return {
    funcInfoRecSize: ext.funcInfo?.recordSize ?? 0,
    lineInfoRecSize: ext.lineInfo?.recordSize ?? 0,
    funcInfo: sections(ext.funcInfo, "func_info", (r) => ({ insnOff: r.insnOff, typeId: r.typeId })),
    lineInfo: sections(ext.lineInfo, "line_info", (r) => ({
      insnOff: r.insnOff,
      fileNameOff: r.fileNameOff,
      lineOff: r.lineOff,
      // line_col as clang stores it; the canonical record splits it into line (high 22 bits) and column.
      lineCol: (r.line * 1024 + r.column) >>> 0,
    })),
    coreRelos: sections(ext.coreRelo, "core_relo", (r) => ({
      insnOff: r.insnOff,
      typeId: r.typeId,
      accessStrOff: r.accessStrOff,
      kind: r.kind,
    })),
  };
}
