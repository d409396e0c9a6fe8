// The CO-RE name index over a Btf: every lookup path (native search, batched prefetch, hash chains) agrees.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { btfNameIndex, btfTarget, essentialName, relocateCore } from "../packages/btf/src/core/index.js";
import { Btf, Kind } from "../packages/btf/src/index.js";
import { compileFixture, fixturesDir, readObject } from "./core-support.js";
import { describeWith } from "./support/env.js";

describeWith(["vmlinux-btf"], "CO-RE name index on Btf", () => {
  it("every name lookup path finds the same candidates for ~500 vmlinux names", () => {
    const bytes = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
    const chains = btfNameIndex(Btf.parse(bytes));
    chains.prepare();
    const raw = Btf.parse(bytes);
    const relocatable: number[] = [Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.TYPEDEF, Kind.FWD, Kind.INT];
    const sample: [string, number][] = [];
    for (let id = 1; id < raw.typeCount && sample.length < 480; id += 29) {
      const name = raw.nameOf(id);
      if (name !== "" && relocatable.includes(raw.kind(id))) sample.push([essentialName(name), raw.kind(id)]);
    }
    // Any kernel with BTF has far more named types than the sample takes (every 29th id, up to 480).
    expect(sample.length).toBeGreaterThanOrEqual(400);
    sample.push(["task_struct", Kind.STRUCT], ["no_such_type_anywhere", Kind.STRUCT]);
    // A fresh index answers its first 16 lookups by native search (one by one, or batched after a prefetch),
    // later ones from its hash chains; an index prepared up front answers from its chains at once. All agree.
    const kinds = (ids: readonly number[], kind: number) => ids.filter((id) => raw.kind(id) === kind);
    const sequential = btfNameIndex(Btf.parse(bytes));
    for (let start = 0; start < sample.length; start += 16) {
      const group = sample.slice(start, start + 16);
      const batched = btfNameIndex(Btf.parse(bytes));
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
  it("finds flavored candidates (same___one, same___two ...)", () => {
    const object = readObject(join(fixturesDir, "core_flavors.bpf.o"));
    const twin = readObject(compileFixture("core_flavors.bpf.c", ["TARGET"])).sections.get(".BTF")!;
    const programs = object.programs.map((p) => ({ ...p, autoload: p.name === "flavors_ok" }));
    const options = { localBtf: object.btf, sections: object.coreSections, programs };
    const viaBtf = relocateCore({ ...options, targets: { custom: btfTarget("vmlinux", Btf.parse(twin)) } });
    expect(viaBtf.trace.filter((l) => l.includes("found target candidate"))).toHaveLength(4);
  });
});
