// @bpfkit/loader: opening objects (pure) and loading them into the kernel, ours vs libbpf 1.1 in-process
// (bench/c/loader_oracle.c, compiled here). Both sides time the same work inside one process and leave closing
// out of the timed region (closing waits on the kernel). Loads with CO-RE include parsing vmlinux BTF on both
// sides (libbpf reads it in every bpf_object__load). Needs `pnpm build`, cc + libbpf-dev; load rows need root.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf, btfTarget, relocateCore } from "../packages/btf/dist/index.js";
import { KernelBackend } from "../packages/kernel/dist/index.js";
import { openObject } from "../packages/loader/dist/object/index.js";
import { load } from "../packages/loader/dist/prepare/index.js";
import { median } from "./util.mjs";

const fixtureDir = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const oracleSource = fileURLToPath(new URL("./c/loader_oracle.c", import.meta.url));

function oracle() {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-loader-bench-"));
  const bin = join(dir, "loader_oracle");
  execFileSync("cc", ["-O2", "-o", bin, oracleSource, "-lbpf"]);
  return bin;
}

/** Median microseconds of `fn` (setup returns the value `fn` works on; teardown is not timed). */
function timeUs(fn, { runs = 51, warmup = 5, after } = {}) {
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = process.hrtime.bigint();
    const result = fn();
    const t = Number(process.hrtime.bigint() - t0) / 1e3;
    after?.(result);
    if (i >= warmup) times.push(t);
  }
  return median(times);
}

export async function run() {
  const rows = [];
  const bin = oracle();
  for (const name of ["xdp_parse", "globals", "maps", "subprogs", "core_task", "externs"]) {
    const path = join(fixtureDir, `${name}.bpf.o`);
    const bytes = new Uint8Array(readFileSync(path));
    // steady state: enough warm-up runs for the JIT, like the C side which is compiled ahead of time
    const ours = timeUs(() => openObject(bytes, { path }), { runs: 101, warmup: 100 });
    const reference = Number(execFileSync(bin, ["bench", path, "51"], { encoding: "utf8" }));
    rows.push({
      what: `open ${name}.bpf.o (in-process)`,
      ours,
      reference,
      unit: "µs",
      note: "libbpf bpf_object__open_file",
    });
  }

  if (process.getuid?.() !== 0) return rows;
  const backend = new KernelBackend();
  const vmlinuxBytes = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
  for (const name of ["xdp_parse", "core_task"]) {
    const path = join(fixtureDir, `${name}.bpf.o`);
    const bytes = new Uint8Array(readFileSync(path));
    // every fixture has CO-RE relocations (vmlinux.h types carry preserve_access_index)
    const ours = timeUs(
      () => {
        const spec = openObject(bytes, { path });
        const btf = Btf.parse(vmlinuxBytes, { checkCycles: false }); // as the kernel environment parses it
        const targets = { vmlinux: btfTarget("vmlinux", btf) };
        return load(spec, backend, { core: { relocate: relocateCore, targets } });
      },
      { runs: 11, warmup: 2, after: (loaded) => loaded.close() },
    );
    const reference = Number(execFileSync(bin, ["loadbench", path, "11"], { encoding: "utf8" }));
    rows.push({
      what: `open+load ${name}.bpf.o into the kernel`,
      ours: ours / 1000,
      reference: reference / 1000,
      unit: "ms",
      note: "incl. vmlinux BTF parse, CO-RE, map create, verifier",
    });
  }
  backend.close();
  return rows;
}
