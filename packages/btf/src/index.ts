export { Btf, type BtfParseOptions } from "./btf.js";
export { BtfError, type BtfErrorCode, type BtfErrorContext } from "./errors.js";
export { BTF_HEADER_SIZE, BTF_MAGIC, type BtfHeader, parseBtfHeader } from "./header.js";
export {
  allowsKindFlag,
  extraWords,
  hasTypeRef,
  hasVlen,
  IntEncoding,
  isAnyEnum,
  isComposite,
  isModifier,
  isModOrTypedef,
  KIND_NAMES,
  Kind,
  type KindNumber,
  Linkage,
  MAX_KIND,
} from "./kinds.js";
export { StringTable } from "./strings.js";
export type * from "./types.js";
