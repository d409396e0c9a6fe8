// The BTF core API (everything documented in API.md). index.ts re-exports it together with CO-RE, dedup and
// the C dumper; the core's own tests import this file so they do not depend on those parts.
export { Btf, type BtfParseOptions, type Engine, type FlatTypes } from "./btf.js";
export {
  type BtfExt,
  type BtfExtSection,
  type BtfExtSubsection,
  type CoreReloRecord,
  encodeBtfExt,
  type FuncInfoRecord,
  type LineInfoRecord,
  parseBtfExt,
  parseBtfExtOffsets,
} from "./btf-ext.js";
export { BtfBuilder, type BtfBuilderOptions, encodeBtf, type MemberSpec } from "./builder.js";
export {
  bpftoolJsonString,
  dumpBtfJson,
  dumpBtfJsonBytes,
  dumpBtfJsonTo,
  jsonType,
} from "./dump-json.js";
export {
  bpftoolName,
  dumpBtfRaw,
  dumpBtfRawBytes,
  dumpBtfRawTo,
  type RawDumpOptions,
  rawType,
} from "./dump-raw.js";
export { btfFromElf, type ObjectBtf, parseObjectBtf } from "./elf-adapter.js";
export { BtfError, type BtfErrorCode, type BtfErrorContext } from "./errors.js";
export { BTF_HEADER_SIZE, BTF_MAGIC, type BtfHeader, parseBtfHeader } from "./header.js";
export {
  allowsKindFlag,
  extraWords,
  forEachStringWord,
  forEachTypeIdWord,
  HEADER_WORDS,
  hasTypeRef,
  hasVlen,
  IntEncoding,
  isAnyEnum,
  isComposite,
  isModifier,
  isModOrTypedef,
  KIND_LAYOUTS,
  KIND_NAMES,
  Kind,
  type KindLayout,
  type KindNumber,
  kindOf,
  Linkage,
  MAX_KIND,
  vlenOf,
} from "./kinds.js";
export { type BtfMapDef, isMapInMap, type MapDefFailure, MapDefType, parseBtfMapDef } from "./map-def.js";
export { StringTable } from "./strings.js";
export type * from "./types.js";
export { type BtfBlobParts, writeBtfBlob } from "./words.js";
