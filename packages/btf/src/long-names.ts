/**
 * Integer type names libbpf accepts as C `long` when it guesses the target's pointer size from BTF
 * (`determine_ptr_size`): every spelling of signed and unsigned long. Shared by `Btf.pointerSize` and the C dumper.
 */
export const LONG_INT_NAMES: ReadonlySet<string> = new Set([
  "long",
  "long int",
  "int long",
  "unsigned long",
  "long unsigned",
  "unsigned long int",
  "unsigned int long",
  "long unsigned int",
  "long int unsigned",
  "int unsigned long",
  "int long unsigned",
]);
