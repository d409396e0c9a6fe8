// @bpfkit/vm: BPF programs run in userspace with the kernel's results (see README.md).
export { bytesOfHex, type ConformanceOutcome, runConformance } from "./conformance.js";
export { VmError, type VmErrorCode, type VmErrorContext } from "./errors.js";
export { type Helper, interpret, type Registers, type RunOptions, type RunResult } from "./interpreter.js";
export { type Region, VmMemory } from "./memory.js";
export { type CheckOptions, checkProgram, decodeProgram, type Program } from "./program.js";
