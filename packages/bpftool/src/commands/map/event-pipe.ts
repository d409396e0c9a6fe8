// `bpftool map event_pipe MAP [cpu N index M]`: the samples BPF programs send with bpf_perf_event_output, printed
// as bpftool 7.1.0 prints them until SIGINT, SIGHUP or SIGTERM ("Stopping..." on stderr, then the JSON array is
// closed). One perf event per CPU (or the one CPU and map index given), read through @bpfkit/kernel's
// PerfEventArrayReader. Ours, beyond bpftool (which refuses them): ring buffers, each record printed as
// `{"size":N,"data":[...]}` in JSON and `== ringbuf record: N bytes =====` and its hex in plain text.
import { MapType } from "@bpfkit/asm";
import type { PerfRecord } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { resolveMapWithInfo } from "../../cli/map-spec.js";
import { strtoulU32 } from "../../cli/strtoul.js";
import { badArg, hexBytes } from "./common.js";

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
/** How long one wait lasts (bpftool's perf_buffer__poll timeout): signals are seen between waits. */
const POLL_MS = 200;

/** One record as bpftool's print_bpf_output prints it. */
function printRecord(ctx: Context, record: PerfRecord, index: number): void {
  const view = new DataView(record.bytes.buffer, record.bytes.byteOffset, record.bytes.byteLength);
  const u64 = (at: number) => (at + 8 <= view.byteLength ? view.getBigUint64(at, true) : 0n);
  const json = ctx.json;
  if (json) {
    json.startObject();
    json.numberField("type", record.type);
    json.numberField("cpu", record.cpu);
    json.numberField("index", index);
    if (record.type === PERF_RECORD_SAMPLE) {
      const size = view.byteLength >= 20 ? view.getUint32(16, true) : 0;
      json.numberField("timestamp", u64(8));
      json.name("data").startArray();
      for (const b of record.bytes.subarray(20, 20 + size)) json.number(b);
      json.endArray();
    } else if (record.type === PERF_RECORD_LOST) {
      json.name("lost").startObject();
      json.numberField("id", u64(8));
      json.numberField("count", u64(16));
      json.endObject();
    }
    json.endObject();
    return;
  }
  if (record.type === PERF_RECORD_SAMPLE) {
    const time = u64(8);
    const size = view.byteLength >= 20 ? view.getUint32(16, true) : 0;
    const secs = time / 1_000_000_000n;
    const nsecs = (time % 1_000_000_000n).toString().padStart(9, "0");
    const data = record.bytes.subarray(20, 20 + size);
    ctx.out.print(`== @${secs}.${nsecs} CPU: ${record.cpu} index: ${index} =====\n${hexBytes(data)}\n`);
  } else if (record.type === PERF_RECORD_LOST) {
    ctx.out.print(`lost ${BigInt.asIntN(64, u64(16))} events\n`);
  } else {
    ctx.out.print(`unknown event type=${record.type} size=${view.byteLength >= 8 ? view.getUint16(6, true) : 0}\n`);
  }
}

export async function eventPipe(ctx: Context, args: Args): Promise<number> {
  // nothing would ever come: the VM runs programs only in `prog run`
  ctx.requireKernel("has no event pipe: it runs programs only in 'prog run', never while 'map event_pipe' waits");
  const { fd, info } = await resolveMapWithInfo(ctx, args);
  try {
    if (info.type === MapType.RINGBUF) {
      if (!args.done) throw new CliError("cpu and index apply to perf event arrays only");
      return await readRingBuffer(ctx, fd);
    }
    if (info.type !== MapType.PERF_EVENT_ARRAY) throw new CliError("map is not a perf event array");
    let cpu = -1;
    let index = -1;
    let allCpus = true;
    while (!args.done) {
      if (args.left < 2) throw badArg(args);
      if (args.is("cpu")) {
        args.skip();
        const word = args.next();
        const r = strtoulU32(word);
        if (!r.complete) throw new CliError(`can't parse ${word} as CPU ID`);
        cpu = r.value | 0;
      } else if (args.is("index")) {
        args.skip();
        const word = args.next();
        const r = strtoulU32(word);
        if (!r.complete) throw new CliError(`can't parse ${word} as index`);
        index = r.value | 0;
      } else {
        throw badArg(args);
      }
      allCpus = false;
    }
    if (!allCpus && (index === -1 || cpu === -1)) throw new CliError("cpu and index must be specified together");

    const backend = await ctx.backend();
    const { PerfEventArrayReader } = await import("../../cli/kernel-readers.js");
    let reader: InstanceType<typeof PerfEventArrayReader>;
    try {
      reader = new PerfEventArrayReader(backend, fd, allCpus ? {} : { cpus: [{ cpu, key: index }] });
    } catch (error) {
      const errno = errnoOf(error) ?? 0;
      throw new CliError(`failed to create perf buffer: ${describeErrno(error)} (${errno})`, { cause: error });
    }
    try {
      await untilSignal(ctx, () => {
        const records = reader.poll(POLL_MS);
        for (const record of records) printRecord(ctx, record, allCpus ? record.cpu : index);
        return records.length;
      });
    } finally {
      reader.close();
    }
    return 0;
  } finally {
    fd.close();
  }
}

/**
 * bpftool's loop: `round` (one wait and what it read) until SIGINT, SIGHUP or SIGTERM, inside a JSON array. What
 * a round prints goes out at once, for a reader at the other end of a pipe.
 */
async function untilSignal(ctx: Context, round: () => number): Promise<void> {
  let stop = false;
  const onSignal = () => {
    ctx.out.error("Stopping...\n");
    stop = true;
  };
  const signals = ["SIGINT", "SIGHUP", "SIGTERM"] as const;
  for (const s of signals) process.on(s, onSignal);
  ctx.json?.startArray();
  try {
    while (!stop) {
      if (round() > 0) {
        ctx.json?.flush();
        ctx.out.flush();
      }
      // Let the event loop deliver signals before the next wait.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  ctx.json?.endArray();
}

/** Ours: the records of a ring buffer. */
async function readRingBuffer(ctx: Context, fd: Fd): Promise<number> {
  const backend = await ctx.backend();
  const { RingBufferReader } = await import("../../cli/kernel-readers.js");
  let reader: InstanceType<typeof RingBufferReader>;
  try {
    reader = new RingBufferReader(backend, fd);
  } catch (error) {
    throw new CliError(`failed to read ring buffer: ${describeErrno(error)}`, { cause: error });
  }
  try {
    await untilSignal(ctx, () => {
      const records = reader.poll(POLL_MS);
      for (const data of records) {
        if (ctx.json) {
          ctx.json.startObject().numberField("size", data.length).name("data").startArray();
          for (const b of data) ctx.json.number(b);
          ctx.json.endArray().endObject();
        } else {
          ctx.out.print(`== ringbuf record: ${data.length} bytes =====\n${hexBytes(data)}\n`);
        }
      }
      return records.length;
    });
  } finally {
    reader.close();
  }
  return 0;
}
