// C dumper: the text of `bpftool btf dump file F format c` (bpftool 7.1 / libbpf 1.1), byte for byte.
export { dumpBtfC, dumpBtfCBytes, dumpBtfCChunks, dumpBtfCTo } from "./api.js";
export { CHUNK_SIZE, type DumpCOptions, VMLINUX_FOOTER, VMLINUX_HEADER } from "./dump.js";
export { BtfDumpError, type BtfDumpErrorCode } from "./errors.js";
export { CTypeDeclWriter, type TypeDeclOptions } from "./type-decl.js";
