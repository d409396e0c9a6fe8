// loadCollection gathers the kernel facts itself (vmlinux BTF, /proc/config.gz or /boot/config-*, kallsyms,
// kernel version, feature probes). libbpf 1.1 does the same inside `bpftool prog loadall`; the kernel's
// translated instructions of both loads must be identical, which they are only if every CO-RE value, kconfig
// value, ksym address and kfunc id we gathered equals libbpf's.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { loadCollection } from "@bpfkit/kernel";
import { openObject } from "@bpfkit/loader";
import { expect, it } from "vitest";
import { bpftoolLoadAll, fixtureBytes, fixturePath } from "./loader-support.js";
import { describeWith, usePinRoot } from "./support/env.js";

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

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf"], "loadCollection vs bpftool prog loadall", () => {
  const pinRoot = usePinRoot();

  for (const fixture of ["externs", "core_task", "xdp_parse", "globals", "maps", "subprogs"]) {
    it(`${fixture}: same translated instructions`, () => {
      const path = fixturePath(fixture);
      const spec = openObject(fixtureBytes(fixture), { path });
      // libbpf's pins (LIBBPF_PIN_BY_NAME maps too) apart from ours, so our load creates its own by-name maps
      const ref = bpftoolLoadAll(path, join(pinRoot(), "libbpf"));
      const theirs = new Map(
        spec.programs.map((p) => [
          p.name,
          xlated(bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${p.name}`).id),
        ]),
      );
      expect(theirs.size).toBeGreaterThan(0);

      using ours = loadCollection(path, { pinRoot: pinRoot() });
      expect([...ours.programs.keys()]).toEqual([...theirs.keys()]);
      for (const [name, program] of ours.programs) {
        expect({ name, insns: xlated(program.info().id) }).toEqual({ name, insns: theirs.get(name) });
      }
    });
  }
});
