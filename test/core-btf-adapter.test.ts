// The engine on the package's Btf class (local and target) gives exactly what it gives on its raw view.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { btfTarget, coreView, parseCoreRelos, relocateCore } from "../packages/btf/src/core/index.js";
import { Btf } from "../packages/btf/src/index.js";
import { fixturesDir, readObject, vmlinuxTargets } from "./core-support.js";
import { describeWith } from "./support/env.js";

describeWith(["vmlinux-btf"], "CO-RE on Btf (adapter)", () => {
  it("relocates every kernel CO-RE fixture identically through Btf and through the raw view", () => {
    const vmlinux = Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
    const target = { vmlinux: btfTarget("vmlinux", vmlinux) };
    for (const name of ["core_task.bpf.o", "core_kernel.bpf.o"]) {
      const object = readObject(join(fixturesDir, name));
      const local = Btf.parse(object.sections.get(".BTF")!);
      const viaBtf = relocateCore({
        localBtf: coreView(local),
        sections: parseCoreRelos(object.sections.get(".BTF.ext")!, local),
        programs: object.programs,
        targets: target,
      });
      const viaRaw = relocateCore({
        localBtf: object.btf,
        sections: object.coreSections,
        programs: object.programs,
        targets: vmlinuxTargets(),
      });
      expect(viaBtf.trace).toEqual(viaRaw.trace);
      expect(viaBtf.insns).toEqual(viaRaw.insns);
    }
  });
});
