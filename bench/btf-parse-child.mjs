// One fresh-process measurement for bench/btf-parse.bench.mjs. Prints JSON {ms, types} where ms covers only what
// the mode names (module loading excluded). Modes:
//   open-fs | open-mmap   read /sys/kernel/btf/vmlinux (fs or mmap) + Btf.parse (the index)
//   raw | json            open (mmap) + Btf.parse + the bpftool-format dump written to stdout in large chunks
import { writeSync } from "node:fs";
// Only the modules the measurement needs: the package index also loads CO-RE, dedup and the C dumper, which
// costs a fresh process ~50 ms of module loading (more on a loaded machine) and is not what is measured here.
import { Btf } from "../packages/btf/dist/btf.js";
import { dumpBtfJsonTo } from "../packages/btf/dist/dump-json.js";
import { dumpBtfRawTo } from "../packages/btf/dist/dump-raw.js";
import { prepareMmap, readWithFs, readWithMmap } from "./btf-open.mjs";

const [mode, path = "/sys/kernel/btf/vmlinux"] = process.argv.slice(2);
const mmap = mode !== "open-fs";
const prep = mmap ? prepareMmap() : 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const bytes = mmap ? readWithMmap(path) : readWithFs(path);
const btf = Btf.parse(bytes);
if (mode === "raw" || mode === "json") {
  const write = (chunk) => writeSync(1, chunk);
  if (mode === "raw") dumpBtfRawTo(btf, write);
  else dumpBtfJsonTo(btf, write);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
writeSync(2, `${JSON.stringify({ ms, cpuMs, types: btf.typeCount, prepare: prep })}\n`);
