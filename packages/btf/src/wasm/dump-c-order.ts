// Runs the C dump's ordering pass for a whole-BTF dump in WebAssembly (see dump-c-order.c for why). The type
// words are copied into the module's memory, preferably one released by the previous user (Btf.parse's scan), whose
// pages are already faulted in. The plan's arrays stay views into that memory, which the dump releases when it is
// done. Returns undefined when this path does not apply or gives up (malformed input): the JavaScript pass then
// decides, with its exact errors.

import { DUMP_C_ORDER_WASM_BASE64 } from "./dump-c-order.generated.js";
import { instantiate, recordWasmOutcome, releaseMemory, type WasmMemory, wasmAvailable } from "./instance.js";

interface OrderExports {
  plan_dump(plan: number, count: number, ends: number): number;
}

/** What the ordering pass decided for ids 1..count-1, in libbpf's order. */
export interface DumpPlan {
  /** Every queued id, in emission order. */
  readonly queue: Uint32Array;
  /** `ends[id]`: how many queue entries exist once id is ordered (`ends[0]` is 0), so id's own are `ends[id-1]..`. */
  readonly ends: Uint32Array;
  /** 1 for each type another type refers to (prototype return types excepted). */
  readonly referenced: Uint8Array;
  /** The memory behind the arrays; hand it back with {@link releasePlan} once they are no longer read. */
  readonly memory: WasmMemory;
}

/** Releases the plan's memory for the next WebAssembly user; the plan's arrays must not be read afterwards. */
export function releasePlan(plan: DumpPlan): void {
  releaseMemory(plan.memory);
}

/** Offsets are 32-bit inside the module; stay far below that. */
const MAX_BYTES = 1 << 30;
/** Bytes of `struct plan` in dump-c-order.c (7 u32), rounded up. */
const PLAN_STRUCT_BYTES = 64;

export function wasmPlanApplies(): boolean {
  return wasmAvailable;
}

/**
 * Plans the dump of every id of a table whose records have been validated (every id and offset in range).
 * `words` are host-order type words, `starts[id]` the word index of each id's record (`starts.length` = count).
 */
export function planWholeDumpWasm(words: Uint32Array, starts: Uint32Array): DumpPlan | undefined {
  const count = starts.length;
  const wordsAt = PLAN_STRUCT_BYTES;
  const startsAt = wordsAt + words.length * 4;
  const endsAt = startsAt + count * 4;
  const queueAt = endsAt + count * 4;
  const orderAt = queueAt + count * 4;
  const referencedAt = orderAt + count;
  const total = referencedAt + count;
  if (!wasmAvailable || count < 2 || total > MAX_BYTES) return undefined;
  const wasm = instantiate<OrderExports>(DUMP_C_ORDER_WASM_BASE64, total, true);
  if (!wasm) {
    recordWasmOutcome("c-order", "no memory");
    return undefined;
  }
  const { memory } = wasm;
  const { buffer } = memory;
  new Uint32Array(buffer, wordsAt, words.length).set(words);
  new Uint32Array(buffer, startsAt, count).set(starts);
  // struct plan { words, starts, order, referenced, queue, queue_end, nesting }. A reused memory is not zeroed:
  // clear what plan_dump expects to be zero (order, referenced) and ends[0], which it never writes.
  new Uint32Array(buffer, 0, PLAN_STRUCT_BYTES / 4).fill(0).set([wordsAt, startsAt, orderAt, referencedAt, queueAt]);
  new Uint8Array(buffer, orderAt, 2 * count).fill(0);
  const ends = new Uint32Array(buffer, endsAt, count);
  ends[0] = 0;
  const stuckAt = wasm.exports.plan_dump(0, count, endsAt);
  if (stuckAt !== 0) {
    releaseMemory(memory);
    recordWasmOutcome("c-order", `gave up at ${stuckAt}`);
    return undefined;
  }
  recordWasmOutcome("c-order", "complete");
  return {
    queue: new Uint32Array(buffer, queueAt, ends[count - 1]!),
    ends,
    referenced: new Uint8Array(buffer, referencedAt, count),
    memory,
  };
}
