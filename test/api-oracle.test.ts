// loadCollection gathers the kernel facts itself (vmlinux BTF, /proc/config.gz or /boot/config-*, kallsyms,
// kernel version, feature probes). libbpf 1.1 does the same inside `bpftool prog loadall`; the kernel's
// translated instructions of both loads must be identical, which they are only if every CO-RE value, kconfig
// value, ksym address and kfunc id we gathered equals libbpf's.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { loadCollection } from "@bpfkit/kernel";
import { openObject } from "@bpfkit/loader";
import { afterAll, expect, it } from "vitest";
import { fixtureBytes, fixturePath } from "./loader-support.js";
import { describeWith } from "./support/env.js";

const ROOT = `/sys/fs/bpf/bpfkit-api-oracle-${process.pid}`;

function bpftool<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

/** Translated instructions of a program with map ids replaced by map names (ids differ between loads). */
function xlated(progId: number): string[] {
  const info = bpftool<{ map_ids?: number[] }>("prog", "show", "id", String(progId));
  const names = new Map(
    (info.map_ids ?? []).map((id) => [id, bpftool<{ name: string }>("map", "show", "id", String(id)).name]),
  );
  return bpftool<{ disasm: string }[]>("prog", "dump", "xlated", "id", String(progId)).map((i) =>
    i.disasm.replace(/map\[id:(\d+)\]/g, (_, id) => `map[${names.get(Number(id)) ?? "?"}]`),
  );
}

afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf"], "loadCollection vs bpftool prog loadall", () => {
  for (const fixture of ["externs", "core_task", "xdp_parse", "globals", "maps", "subprogs"]) {
    it(`${fixture}: same translated instructions`, () => {
      const path = fixturePath(fixture);
      const spec = openObject(fixtureBytes(fixture), { path });
      const ref = `${ROOT}/ref-${fixture}`;
      mkdirSync(ROOT, { recursive: true });
      execFileSync("bpftool", ["prog", "loadall", path, ref]);
      const theirs = new Map(
        spec.programs.map((p) => [
          p.name,
          xlated(bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${p.name}`).id),
        ]),
      );
      rmSync(ref, { recursive: true, force: true });
      for (const m of spec.maps) if (m.pinning === "by-name") rmSync(`/sys/fs/bpf/${m.name}`, { force: true });

      using ours = loadCollection(path, { pinRoot: ROOT });
      expect([...ours.programs.keys()]).toEqual([...theirs.keys()]);
      for (const [name, program] of ours.programs) {
        expect({ name, insns: xlated(program.info().id) }).toEqual({ name, insns: theirs.get(name) });
      }
      for (const m of spec.maps) if (m.pinning === "by-name") rmSync(`${ROOT}/${m.name}`, { force: true });
    });
  }
});
