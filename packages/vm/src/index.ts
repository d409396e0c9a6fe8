// @bpfkit/vm: BPF programs run in userspace with the kernel's results (see README.md).
export { VmBackend, type VmBackendOptions, type VmEngine } from "./backend.js";
export { type CompiledProgram, compiledFor, compileProgram } from "./compiler.js";
export { bytesOfHex, type ConformanceOutcome, type Engine, runConformance } from "./conformance.js";
export { VmError, type VmErrorCode, type VmErrorContext } from "./errors.js";
export { type HelperEnvironment, type ProbeMemory, type ProcessIdentity, vmHelpers } from "./helpers.js";
export { PT_REGS_SIZE, type PtRegsField, type PtRegsInit, ptRegs, type TriggerContext } from "./hooks.js";
export {
  type Callbacks,
  type Helper,
  interpret,
  type Registers,
  type RunOptions,
  type RunResult,
} from "./interpreter.js";
export type { PerfRecord } from "./maps/perf-event-array.js";
export { type Region, VmMemory } from "./memory.js";
export { type CheckOptions, checkProgram, decodeProgram, type Program, subprogramStarts } from "./program.js";
