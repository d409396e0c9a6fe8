// @bpfkit/asm: eBPF instruction model, byte codec, builder DSL, bpftool-identical disassembler, UAPI tables.
export {
  type BpftoolJsonOpcodes,
  type BpftoolXlatedOptions,
  bpftoolJsonOpcodes,
  bpftoolXlatedSymbolizer,
  type KernelSymbol,
  parseKallsyms,
} from "./bpftool-xlated.js";
export {
  type DecodeOptions,
  decodeInstructions,
  type EncodeOptions,
  type Endian,
  encodeInstructions,
  SLOT_SIZE,
} from "./codec.js";
export { type DisasmDialect, type FormatOptions, formatInstruction, type Symbolizer } from "./disasm.js";
export * from "./dsl.js";
export { AsmError, type AsmErrorCode } from "./errors.js";
export {
  type FuncInfo,
  type Instruction,
  imm64,
  isLdImm64,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7,
  R8,
  R9,
  R10,
  type Register,
  type SourceLine,
  slotCount,
  slotIndexes,
  splitImm64,
  width,
  withImm64,
} from "./instruction.js";
export { disassemble, disassembleJson, formatIndex, type ListingOptions, type XlatedJsonInsn } from "./listing.js";
export {
  ADDR_PERCPU_OFF,
  ADDR_SPACE_CAST_OFF,
  AluOp,
  AtomicOp,
  aluOpOf,
  Class,
  classOf,
  JmpOp,
  jmpOpOf,
  LD_IMM64,
  MAX_REGISTER,
  MAY_GOTO,
  Mode,
  modeOf,
  NOSPEC_MODE,
  PseudoCall,
  PseudoLd,
  Size,
  Source,
  sizeBytes,
  sizeOf,
  sourceOf,
} from "./opcodes.js";
export { progTagHex, progTagInput } from "./prog-tag.js";
export * from "./tables.generated.js";
export * from "./tables.js";
