// CO-RE relocation: bpfkit's engine vs libbpf 1.1 (bench/c/core_harness.c, `time` mode), same objects, same run.
// libbpf's phases come from timestamps on its debug-log lines during bpf_object__load (as in baselines.md):
//   "CO-RE" = first to last CO-RE line; "open → end of CO-RE" = bpf_object__open_file start to the end of CO-RE,
//   which for libbpf also includes kernel feature probes, loading the object BTF into the kernel and map creation
//   (about 1 ms: unfavourable to libbpf's side of the ratio... and favourable to ours, see the note column).
// Ours: "CO-RE" = relocateCore (candidate index build on the first lookup included); "open → end of CO-RE" =
// read + parse the object, get /sys/kernel/btf/vmlinux as loadCollection does (mapped by @bpfkit/kernel's
// readKernelBtfFile, a fresh mapping each pass), build the type view, relocateCore. Loading our modules (koffi
// among them) happens before the clock starts, like the dynamic linking of libbpf.so on its side.
// "warm" = repeated in one process (JIT warm / malloc warm); "fresh process" = first run in a new process
// (process startup excluded on both sides). Needs `pnpm build`, libbpf-dev, root and /sys/kernel/btf/vmlinux.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const coreModule = new URL("../packages/btf/dist/core/index.js", import.meta.url).href;
const btfModule = new URL("../packages/btf/dist/index.js", import.meta.url).href;
const btfFileModule = new URL("../packages/kernel/dist/btf-file.js", import.meta.url).href;

/** Sections and functions of a BPF ELF64 object (little-endian fixtures). */
function readObject(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const count = view.getUint16(0x3c, true);
  const hdr = (i) => {
    const at = shoff + i * 64;
    return {
      name: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      flags: Number(view.getBigUint64(at + 8, true)),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
    };
  };
  const headers = Array.from({ length: count }, (_, i) => hdr(i));
  const cstr = (table, off) => {
    const start = headers[table].offset + off;
    return new TextDecoder().decode(bytes.subarray(start, bytes.indexOf(0, start)));
  };
  const shstr = view.getUint16(0x3e, true);
  const names = headers.map((h) => cstr(shstr, h.name));
  const sections = new Map(headers.map((h, i) => [names[i], bytes.subarray(h.offset, h.offset + h.size)]));
  const programs = [];
  const symtab = headers.find((h) => h.type === 2);
  for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 24) {
    const shndx = view.getUint16(at + 6, true);
    if ((bytes[at + 4] & 0xf) !== 2 || shndx === 0 || shndx >= count || !(headers[shndx].flags & 4)) continue;
    const value = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 16, true));
    const sec = headers[shndx];
    programs.push({
      name: cstr(symtab.link, view.getUint32(at, true)),
      section: names[shndx],
      sectionInsnOffset: value / 8,
      insns: bytes.subarray(sec.offset + value, sec.offset + value + size),
    });
  }
  return { sections, programs };
}

/** One full pass with a fresh vmlinux view (read, walk, name search/index inside); phase times in ms. */
async function once(objectPath) {
  const core = await import(coreModule);
  const { Btf } = await import(btfModule);
  const { readKernelBtfFile } = await import(btfFileModule);
  const t0 = performance.now();
  const object = readObject(new Uint8Array(readFileSync(objectPath)));
  const btf = Btf.parse(object.sections.get(".BTF"));
  const sections = core.parseCoreRelos(object.sections.get(".BTF.ext"), btf);
  // As loadCollection's kernel environment parses it (the kernel refuses reference loops itself).
  const vmlinux = Btf.parse(readKernelBtfFile("/sys/kernel/btf/vmlinux").bytes, { checkCycles: false });
  const targets = { vmlinux: core.btfTarget("vmlinux", vmlinux) };
  const t1 = performance.now();
  const result = core.relocateCore({ localBtf: btf, sections, programs: object.programs, targets });
  const t2 = performance.now();
  if (result.relocations.length === 0) throw new Error("no relocations");
  return { core: t2 - t1, total: t2 - t0, relocations: result.relocations.length };
}

/** The CO-RE phase alone against a kept, indexed vmlinux view (a loader that caches the kernel BTF). */
async function relocateOnly(objectPath, vmlinux) {
  const core = await import(coreModule);
  const { Btf } = await import(btfModule);
  const object = readObject(new Uint8Array(readFileSync(objectPath)));
  const btf = Btf.parse(object.sections.get(".BTF"));
  const sections = core.parseCoreRelos(object.sections.get(".BTF.ext"), btf);
  const targets = { vmlinux: core.btfTarget("vmlinux", vmlinux) };
  const t1 = performance.now();
  core.relocateCore({ localBtf: btf, sections, programs: object.programs, targets });
  return performance.now() - t1;
}

if (process.argv[2] === "--once") {
  console.log(JSON.stringify(await once(process.argv[3])));
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-core-bench-"));
  const harness = join(dir, "core_harness");
  execFileSync("cc", ["-O2", "-o", harness, fileURLToPath(new URL("./c/core_harness.c", import.meta.url)), "-lbpf"]);
  const self = fileURLToPath(import.meta.url);
  const core = await import(coreModule);
  const { Btf } = await import(btfModule);
  const indexed = Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  core.btfNameIndex(indexed).prepare();
  const rows = [];
  for (const name of ["core_task.bpf.o", "core_kernel.bpf.o"]) {
    const path = join(fixtureDir, name);
    const theirsWarm = { core: [], total: [] };
    const theirsCold = { core: [], total: [] };
    const oursWarm = { core: [], total: [] };
    const oursCold = { core: [], total: [] };
    const oursIndexed = [];
    let relocations = 0;
    for (let i = 0; i < 3; i++) await once(path); // JIT warm-up for the in-process runs
    // Interleaved rounds so background load hits both sides alike.
    for (let round = 0; round < 7; round++) {
      const runs = JSON.parse(execFileSync(harness, ["time", path, "6"], { encoding: "utf8" }));
      runs.forEach((r, i) => {
        const into = i === 0 ? theirsCold : theirsWarm;
        into.core.push(r.core);
        into.total.push(r.upToCoreEnd);
      });
      const fresh = spawnSync(process.execPath, [self, "--once", path], { encoding: "utf8" });
      if (fresh.status !== 0) throw new Error(fresh.stderr);
      const cold = JSON.parse(fresh.stdout);
      oursCold.core.push(cold.core);
      oursCold.total.push(cold.total);
      for (let i = 0; i < 5; i++) {
        oursIndexed.push(await relocateOnly(path, indexed));
        const warm = await once(path);
        relocations = warm.relocations;
        oursWarm.core.push(warm.core);
        oursWarm.total.push(warm.total);
      }
    }
    const label = `${name} (${relocations} relos)`;
    const note = (o, t) => `${o.core.length} ours / ${t.core.length} libbpf samples`;
    rows.push(
      {
        what: `CO-RE phase, ${label}, indexed vmlinux view`,
        ours: median(oursIndexed),
        reference: median(theirsWarm.core),
        unit: "ms",
        note: "ours: view kept + indexed; libbpf: warm, scans per type",
      },
      {
        what: `CO-RE phase, ${label}, fresh view, warm`,
        ours: median(oursWarm.core),
        reference: median(theirsWarm.core),
        unit: "ms",
        note: `ours includes the name searches; ${note(oursWarm, theirsWarm)}`,
      },
      {
        what: `CO-RE phase, ${label}, fresh process`,
        ours: median(oursCold.core),
        reference: median(theirsCold.core),
        unit: "ms",
        note: note(oursCold, theirsCold),
      },
      {
        what: `open + vmlinux + CO-RE, ${label}, warm`,
        ours: median(oursWarm.total),
        reference: median(theirsWarm.total),
        unit: "ms",
        note: "libbpf side also has probes/BTF load/maps (~1 ms)",
      },
      {
        what: `open + vmlinux + CO-RE, ${label}, fresh process`,
        ours: median(oursCold.total),
        reference: median(theirsCold.total),
        unit: "ms",
        note: "node startup (~45 ms) excluded",
      },
    );
  }
  return rows;
}
