// The CO-RE fixtures loaded end to end by our loader (which calls this engine) vs `bpftool prog loadall`
// (libbpf 1.1): the kernel's `bpftool -j prog dump xlated` of each program, instruction for instruction, map ids
// replaced by map names. This is the check the CO-RE brief asks for, on top of core-oracle's pre-load comparisons.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, it } from "vitest";
import { KernelBackend } from "../packages/kernel/src/index.js";
import { openObject } from "../packages/loader/src/object/index.js";
import { load } from "../packages/loader/src/prepare/index.js";
import { coreOptions, fixtureBytes, fixturePath, kernelFacts } from "./loader-support.js";
import { describeWith, usePinRoot } from "./support/env.js";

function bpftool<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

/** xlated instructions of a program with map ids replaced by map names. */
function xlated(progId: number): { disasm: string; src?: string; proto?: string }[] {
  const info = bpftool<{ map_ids?: number[] }>("prog", "show", "id", String(progId));
  const names = new Map(
    (info.map_ids ?? []).map((id) => [id, bpftool<{ name: string }>("map", "show", "id", String(id)).name]),
  );
  return bpftool<{ disasm: string; src?: string; proto?: string }[]>(
    "prog",
    "dump",
    "xlated",
    "id",
    String(progId),
  ).map((i) => ({
    ...i,
    disasm: i.disasm.replace(/map\[id:(\d+)\]/g, (_, id) => `map[${names.get(Number(id)) ?? "?"}]`),
  }));
}

describeWith(
  ["bpftool", "root", "bpffs", "vmlinux-btf"],
  "CO-RE fixtures: our loader vs bpftool prog loadall (xlated)",
  () => {
    const pinRoot = usePinRoot();
    for (const fixture of ["core_task", "core_subprogs"]) {
      it(fixture, () => {
        const path = fixturePath(fixture);
        const spec = openObject(fixtureBytes(fixture), { path });
        const ref = `${pinRoot()}/ref-${fixture}`;
        execFileSync("bpftool", ["prog", "loadall", path, ref]);
        const names = spec.programs.filter((p) => p.autoload).map((p) => p.name);
        expect(names.length).toBeGreaterThan(0);
        const theirs = new Map(
          names.map((n) => [n, xlated(bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${n}`).id)]),
        );
        rmSync(ref, { recursive: true, force: true });
        const backend = new KernelBackend();
        const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot: pinRoot() });
        try {
          for (const name of names) {
            const ours = xlated(backend.progInfo(loaded.programs.get(name)!).id);
            expect(ours.length).toBeGreaterThan(5);
            expect({ name, insns: ours }).toEqual({ name, insns: theirs.get(name) });
          }
        } finally {
          loaded.close();
          backend.close();
        }
      });
    }
  },
);
