// BPF_PROG_TEST_RUN: run a loaded program on a packet / context inside the kernel.
import type { Fd, TestRunAttrs, TestRunResult } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { TestRun } from "./attr/layout.js";
import { KernelBackendError } from "./errors.js";
import { bpf, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

/** Room the kernel may add in front of/after an XDP or skb packet when the program grows it. */
const DEFAULT_OUT_SLACK = 256;

export function testRun(prog: Fd, attrs: TestRunAttrs): TestRunResult {
  const dataIn = attrs.dataIn ?? new Uint8Array(0);
  const ctxIn = attrs.ctxIn ?? new Uint8Array(0);
  const dataSizeOut = attrs.dataSizeOut ?? (dataIn.length > 0 ? dataIn.length + DEFAULT_OUT_SLACK : 0);
  const ctxSizeOut = attrs.ctxSizeOut ?? 0;
  for (const [what, n] of [
    ["dataSizeOut", dataSizeOut],
    ["ctxSizeOut", ctxSizeOut],
    ["repeat", attrs.repeat ?? 0],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new KernelBackendError(`test run: bad ${what} ${n}`);
  }
  const staging = new Staging();
  const dataOut = staging.output(dataSizeOut);
  const ctxOut = staging.output(ctxSizeOut);
  const attr = new StructBuffer(TestRun.size);
  attr
    .retain(staging)
    .u32(TestRun.progFd, prog.value)
    .u32(TestRun.dataSizeIn, dataIn.length)
    .u32(TestRun.dataSizeOut, dataSizeOut)
    .u64(TestRun.dataIn, staging.input(dataIn))
    .u64(TestRun.dataOut, dataSizeOut > 0 ? dataOut.address : 0)
    .u32(TestRun.repeat, attrs.repeat ?? 0)
    .u32(TestRun.ctxSizeIn, ctxIn.length)
    .u32(TestRun.ctxSizeOut, ctxSizeOut)
    .u64(TestRun.ctxIn, staging.input(ctxIn))
    .u64(TestRun.ctxOut, ctxSizeOut > 0 ? ctxOut.address : 0)
    .u32(TestRun.flags, attrs.flags ?? 0)
    .u32(TestRun.cpu, attrs.cpu ?? 0)
    .u32(TestRun.batchSize, attrs.batchSize ?? 0);
  const result = bpf(BpfCmd.PROG_TEST_RUN, attr, TestRun.size);
  staging.release();
  if (result < 0) throw syscallError(BpfCmd.PROG_TEST_RUN, -result, `${prog.label} fd ${prog.value}`);
  const dataLength = Math.min(attr.getU32(TestRun.dataSizeOut), dataSizeOut);
  const ctxLength = Math.min(attr.getU32(TestRun.ctxSizeOut), ctxSizeOut);
  return {
    retval: attr.getU32(TestRun.retval),
    duration: attr.getU32(TestRun.duration),
    dataOut: dataOut.bytes.slice(0, dataLength),
    ctxOut: ctxOut.bytes.slice(0, ctxLength),
  };
}
