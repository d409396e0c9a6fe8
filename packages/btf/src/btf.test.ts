import { describe, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { fixtureObjects, fixtureSection, readVmlinux } from "../test-support/fixtures.js";
import { Btf, BtfBuilder, BtfError, Kind } from "./btf-api.js";

describe("Btf.parse on fixtures", () => {
  for (const object of fixtureObjects()) {
    it(`parses ${object}`, () => {
      const bytes = fixtureSection(object, ".BTF");
      expect(bytes).toBeDefined();
      const btf = Btf.parse(bytes!);
      expect(btf.littleEndian).toBe(!object.includes("bpfeb"));
      expect(btf.typeCount).toBeGreaterThan(1);
      // Every type decodes and every accessor agrees with the decoded object.
      for (const [id, t] of btf.types()) {
        expect(t.kind).toBe(btf.kind(id));
        expect(t.name).toBe(btf.nameOf(id));
      }
    });
  }

  it("decodes the same types from little- and big-endian objects", () => {
    for (const name of ["xdp_parse", "subprogs", "globals", "btf_kinds"]) {
      const le = Btf.parse(fixtureSection(`${name}.bpf.o`, ".BTF")!);
      const be = Btf.parse(fixtureSection(`${name}.bpfeb.o`, ".BTF")!);
      expect(be.littleEndian).toBe(false);
      // clang may order a few types differently per target; the named types must agree.
      const named = (btf: Btf) =>
        [...btf.types()]
          .map(([, t]) => `${t.kind}:${t.name}`)
          .filter((s) => !s.endsWith(":"))
          .sort();
      expect(be.typeCount).toBe(le.typeCount);
      expect(named(be)).toEqual(named(le));
    }
  });

  it("finds types by name and kind, and walks them", () => {
    const btf = Btf.parse(fixtureSection("globals.bpf.o", ".BTF")!);
    const intId = btf.findByName("int", Kind.INT);
    expect(intId).toBeDefined();
    expect(btf.resolveSize(intId!)).toBe(4);
    expect(btf.findByName("no_such_type_name")).toBeUndefined();
    expect(btf.findByName("void")).toBe(0);
    for (const [id, t] of btf.types()) {
      if (t.name === "") continue;
      expect(btf.findAllByName(t.name)).toContain(id);
      expect(btf.findAllByName(t.name, t.kind)).toContain(id);
    }
  });
});

describe("name index", () => {
  it("finds names that share a suffix of another string, duplicates, and base + split names", () => {
    const b = new BtfBuilder();
    const unsignedInt = b.addString("unsigned int");
    const int = b.add({
      kind: Kind.INT,
      name: "int",
      nameOff: unsignedInt + 9,
      size: 4,
      encoding: 1,
      bitOffset: 0,
      bits: 32,
    });
    const uint = b.addInt("unsigned int", 4);
    const s1 = b.addStruct("dup", 4, [{ name: "int", type: int, bitOffset: 0 }]);
    const t1 = b.addTypedef("dup", uint);
    const base = b.build();
    expect(base.nameOff(int)).toBe(unsignedInt + 9);
    expect(base.findByName("int")).toBe(int);
    expect(base.findByName("unsigned int")).toBe(uint);
    expect(base.findAllByName("dup")).toEqual([s1, t1]);
    expect(base.findByName("dup", Kind.TYPEDEF)).toBe(t1);
    expect(base.findByName("du")).toBeUndefined();
    expect(base.findByName("dupe")).toBeUndefined();
    const split = new BtfBuilder({ base });
    const t2 = split.addTypedef("dup", int);
    const fresh = split.addTypedef("only_in_split", int);
    const btf = split.build();
    expect(btf.findAllByName("dup")).toEqual([s1, t1, t2]);
    expect(btf.findByName("only_in_split")).toBe(fresh);
    expect(btf.findByName("int")).toBe(int);
  });
});

describeWith(["vmlinux-btf"], "Btf.parse on /sys/kernel/btf/vmlinux", () => {
  it("indexes vmlinux and answers task_struct questions", () => {
    const btf = Btf.parse(readVmlinux());
    expect(btf.typeCount).toBeGreaterThan(10_000);
    const id = btf.findByName("task_struct", Kind.STRUCT)!;
    expect(btf.kind(id)).toBe(Kind.STRUCT);
    const t = btf.type(id);
    if (t.kind !== Kind.STRUCT) throw new Error("not a struct");
    expect(btf.resolveSize(id)).toBe(t.size);
    expect(btf.alignOf(id)).toBeGreaterThanOrEqual(8);
    expect(t.members.map((m) => m.name)).toContain("pid");
    expect(btf.pointerSize).toBe(8);
  });
});

describe("BtfError", () => {
  it("is typed", () => {
    let err: unknown;
    try {
      Btf.parse(new Uint8Array(10));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).code).toBe("TRUNCATED");
    expect((err as BtfError).name).toBe("BtfError");
  });
});
