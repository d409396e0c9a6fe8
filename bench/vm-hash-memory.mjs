// Memory of a 1M-entry VM hash map (8-byte keys and values), measured in a process of its own by vm.bench.mjs:
// the growth of the resident set after creating and filling it, printed as JSON (MiB).
import { VmBackend } from "../packages/vm/dist/index.js";

const ENTRIES = 1 << 20;
globalThis.gc?.();
const before = process.memoryUsage().rss;
const vm = new VmBackend();
const map = vm.createMap({ mapType: 1, keySize: 8, valueSize: 8, maxEntries: ENTRIES, name: "big" });
const key = new Uint8Array(8);
const value = new Uint8Array(8);
const view = new DataView(key.buffer);
for (let i = 0; i < ENTRIES; i++) {
  view.setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0, true);
  view.setUint32(4, i, true);
  vm.mapUpdate(map, key, value, 0);
}
globalThis.gc?.();
console.log(JSON.stringify({ mib: (process.memoryUsage().rss - before) / 2 ** 20 }));
