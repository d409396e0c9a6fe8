// bpftool's btf_dumper: BTF-typed values written through the JSON writer (map dump/lookup, prog metadata).
export { type BtfDumpOptions, formatBtfValue } from "./dumper.js";
