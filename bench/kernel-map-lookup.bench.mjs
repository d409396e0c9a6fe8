// Map lookup through the KernelBackend API vs a C loop calling libbpf's bpf_map_lookup_elem() on the same
// 1M-entry hash map (pinned so both sides open the same kernel object), same key sequence, same run.
// Samples alternate (C, JS, C, ...) so background load hits both. Needs root, bpffs, libbpf-dev and `pnpm build`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MapType } from "../packages/asm/dist/index.js";
import { KernelBackend } from "../packages/kernel/dist/index.js";
import { median } from "./util.mjs";

const ENTRIES = 1_000_000;
const LOOKUPS = 100_000;
const ROUNDS = 11;

function fill(backend, map) {
  const chunk = 50_000;
  const keys = new Uint8Array(4 * chunk);
  const values = new Uint8Array(8 * chunk);
  const kv = new DataView(keys.buffer);
  const vv = new DataView(values.buffer);
  for (let start = 0; start < ENTRIES; start += chunk) {
    for (let i = 0; i < chunk; i++) {
      kv.setUint32(i * 4, start + i, true);
      vv.setBigUint64(i * 8, BigInt(start + i) * 7n, true);
    }
    backend.mapUpdateBatch(map, { keys, values, count: chunk });
  }
}

function jsSample(backend, map, entries = ENTRIES) {
  const key = new Uint8Array(4);
  const keyView = new DataView(key.buffer);
  const value = new Uint8Array(8);
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) {
    // i * 2654435761 stays below 2^53 for i < 2^21, so this is exact and equals C's 64-bit arithmetic.
    keyView.setUint32(0, (i * 2654435761) % entries, true);
    if (backend.mapLookup(map, key, value)) hits++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / LOOKUPS;
  return { ns, hits };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-map-bench-"));
  const harness = join(dir, "kernel_map_lookup");
  const source = fileURLToPath(new URL("./c/kernel_map_lookup.c", import.meta.url));
  execFileSync("cc", ["-O2", "-o", harness, source, "-lbpf"], { stdio: "pipe" });
  const pin = `/sys/fs/bpf/bpfkit-bench-${process.pid}`;
  const backend = new KernelBackend();
  try {
    const map = backend.createMap({
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: ENTRIES,
      name: "bench",
    });
    fill(backend, map);
    backend.pin(map, pin);
    jsSample(backend, map); // JIT warm-up
    const ours = [];
    const theirs = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c = JSON.parse(execFileSync(harness, [pin, String(ENTRIES), String(LOOKUPS), "1"], { encoding: "utf8" }));
      if (c.hits !== LOOKUPS) throw new Error(`C harness found ${c.hits} of ${LOOKUPS} keys`);
      theirs.push(...c.ns_per_op);
      const js = jsSample(backend, map);
      if (js.hits !== LOOKUPS) throw new Error(`JS found ${js.hits} of ${LOOKUPS} keys`);
      ours.push(js.ns);
    }
    // The same with a 1-entry array: the cheapest lookup the kernel has, so the FFI overhead shows most.
    const small = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const smallPin = `${pin}-small`;
    backend.pin(small, smallPin);
    const oursSmall = [];
    const theirsSmall = [];
    try {
      jsSample(backend, small, 1);
      for (let r = 0; r < ROUNDS; r++) {
        const c = JSON.parse(execFileSync(harness, [smallPin, "1", String(LOOKUPS), "1"], { encoding: "utf8" }));
        theirsSmall.push(...c.ns_per_op);
        oursSmall.push(jsSample(backend, small, 1).ns);
      }
    } finally {
      unlinkSync(smallPin);
    }
    return [
      {
        what: "map lookup: 1-entry array map, u32 key, u64 value",
        ours: median(oursSmall),
        reference: median(theirsSmall),
        unit: "ns/op",
        note: `${ROUNDS}x${LOOKUPS} lookups each, interleaved with the C loop`,
      },
      {
        what: "map lookup: 1M-entry hash map, u32 key, u64 value",
        ours: median(ours),
        reference: median(theirs),
        unit: "ns/op",
        note: `${ROUNDS}x${LOOKUPS} lookups each, interleaved with the C loop`,
      },
    ];
  } finally {
    try {
      unlinkSync(pin);
    } catch {
      // not pinned yet
    }
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
