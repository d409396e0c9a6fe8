// The perf and ring buffer readers of `map event_pipe`, loaded on demand (see kernel.ts).
export { PerfEventArrayReader, RingBufferReader } from "@bpfkit/kernel";
