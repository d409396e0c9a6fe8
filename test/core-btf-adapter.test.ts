// The engine on the package's Btf class (local and target) gives exactly what it gives on its raw view.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  btfNameIndex,
  btfTarget,
  coreView,
  essentialName,
  parseCoreRelos,
  RawCoreBtf,
  rawNameIndex,
  relocateCore,
} from "../packages/btf/src/core/index.js";
import { Btf, Kind } from "../packages/btf/src/index.js";
import { compileFixture, customTargets, fixturesDir, readObject, vmlinuxTargets } from "./core-support.js";
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

  it("every name lookup path finds the same candidates for ~500 vmlinux names", () => {
    const bytes = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
    const chains = btfNameIndex(Btf.parse(bytes));
    const raw = new RawCoreBtf(bytes);
    expect(raw.namesAtStringStarts).toBe(true);
    const relocatable: number[] = [Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.TYPEDEF, Kind.FWD, Kind.INT];
    const sample: [string, number][] = [];
    for (let id = 1; id < raw.typeCount && sample.length < 480; id += 29) {
      const name = raw.nameOf(id);
      if (name !== "" && relocatable.includes(raw.kind(id))) sample.push([essentialName(name), raw.kind(id)]);
    }
    // Any kernel with BTF has far more named types than the sample takes (every 29th id, up to 480).
    expect(sample.length).toBeGreaterThanOrEqual(400);
    sample.push(["task_struct", Kind.STRUCT], ["no_such_type_anywhere", Kind.STRUCT]);
    // A fresh raw view answers its first 16 lookups by native search (one by one, or batched after a prefetch),
    // later ones from its own chains; the Btf adapter likewise (Btf.findAllByName first, then chains). All agree.
    const kinds = (ids: readonly number[], kind: number) => ids.filter((id) => raw.kind(id) === kind);
    const sequential = rawNameIndex(new RawCoreBtf(bytes));
    for (let start = 0; start < sample.length; start += 16) {
      const group = sample.slice(start, start + 16);
      const batched = rawNameIndex(new RawCoreBtf(bytes));
      if ((start / 16) % 2 === 0) batched.prefetch?.(group.map(([name]) => name));
      for (const [name, kind] of group) {
        const expected = kinds(chains.idsWithEssentialName(name, kind), kind);
        expect(kinds(batched.idsWithEssentialName(name, kind), kind), name).toEqual(expected);
        expect(kinds(sequential.idsWithEssentialName(name, kind), kind), name).toEqual(expected);
      }
    }
  });
});

describeWith(["clang"], "CO-RE on Btf (adapter), flavored target names", () => {
  it("finds flavored candidates (same___one, same___two ...) like the raw view", () => {
    const object = readObject(join(fixturesDir, "core_flavors.bpf.o"));
    const twin = readObject(compileFixture("core_flavors.bpf.c", ["TARGET"])).sections.get(".BTF")!;
    const programs = object.programs.map((p) => ({ ...p, autoload: p.name === "flavors_ok" }));
    const options = { localBtf: object.btf, sections: object.coreSections, programs };
    const viaBtf = relocateCore({ ...options, targets: { custom: btfTarget("vmlinux", Btf.parse(twin)) } });
    const viaRaw = relocateCore({ ...options, targets: customTargets(twin) });
    expect(viaBtf.trace.filter((l) => l.includes("found target candidate"))).toHaveLength(4);
    expect(viaBtf.trace).toEqual(viaRaw.trace);
  });
});
