// C dumper: the text of `bpftool btf dump file F format c` (bpftool 7.1 / libbpf 1.1), byte for byte.
export { dumpBtfAsC, dumpBtfAsCBytes, dumpBtfAsCChunks, dumpBtfAsCTo } from "./api.js";
export {
  CHUNK_SIZE,
  type DumpCOptions,
  dumpTableAsC,
  dumpTableAsCBytes,
  dumpTableAsCChunks,
  dumpTableAsCTo,
  VMLINUX_FOOTER,
  VMLINUX_HEADER,
} from "./dump.js";
export { BtfDumpError, type BtfDumpErrorCode } from "./errors.js";
export { typeTableFromBtf } from "./from-btf.js";
export { CTypeDeclWriter, type TypeDeclOptions } from "./type-decl.js";
export { TypeTable, type TypeTableInput } from "./type-table.js";
