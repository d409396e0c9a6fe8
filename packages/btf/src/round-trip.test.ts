import { describe, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { fixtureObjects, fixtureSection, readFixture, readVmlinux } from "../test-support/fixtures.js";
import { Btf, BtfBuilder, btfFromElf, encodeBtf, encodeBtfExt, parseBtfExt, parseObjectBtf } from "./btf-api.js";

describe("encode(decode(x)) is byte-identical", () => {
  for (const object of fixtureObjects()) {
    it(`${object} .BTF`, () => {
      const bytes = fixtureSection(object, ".BTF")!;
      const btf = Btf.parse(bytes);
      expect(encodeBtf(btf)).toEqual(bytes);
      // Re-encoding every decoded type object through the builder gives the same bytes too.
      const builder = new BtfBuilder({ littleEndian: btf.littleEndian });
      for (const [id, t] of btf.types()) expect(builder.add(t)).toBe(id);
      const rebuilt = builder.encode();
      // Strings are re-added in first-use order, so compare decoded types rather than bytes.
      expect([...Btf.parse(rebuilt).types()].map(([id, t]) => [id, stripOffsets(t)])).toEqual(
        [...btf.types()].map(([id, t]) => [id, stripOffsets(t)]),
      );
    });

    it(`${object} .BTF.ext`, () => {
      // Every committed object has one (clang -g writes it); a missing one is a broken fixture, not a skip.
      const extBytes = fixtureSection(object, ".BTF.ext");
      if (extBytes === undefined) throw new Error(`${object} has no .BTF.ext`);
      const btf = Btf.parse(fixtureSection(object, ".BTF")!);
      const ext = parseBtfExt(extBytes, { btf });
      expect(encodeBtfExt(ext)).toEqual(extBytes);
      // Every func_info points at a FUNC, every section name resolves.
      for (const sec of ext.funcInfo?.sections ?? []) {
        expect(sec.name.length).toBeGreaterThan(0);
        for (const rec of sec.records) expect(btf.kind(rec.typeId)).toBe(12);
      }
      for (const sec of ext.lineInfo?.sections ?? []) {
        for (const rec of sec.records) expect(btf.stringAt(rec.fileNameOff)).toBeDefined();
      }
    });
  }

  it("switches byte order and back", () => {
    for (const name of ["xdp_parse", "globals", "subprogs", "btf_kinds"]) {
      const be = fixtureSection(`${name}.bpfeb.o`, ".BTF")!;
      const btf = Btf.parse(be);
      const le = encodeBtf(btf, { littleEndian: true });
      const back = Btf.parse(le);
      expect(back.littleEndian).toBe(true);
      expect([...back.types()]).toEqual([...btf.types()]);
      expect(encodeBtf(back, { littleEndian: false })).toEqual(be);
      const extBytes = fixtureSection(`${name}.bpfeb.o`, ".BTF.ext")!;
      const ext = parseBtfExt(extBytes);
      expect(ext.littleEndian).toBe(false);
      expect(encodeBtfExt(ext)).toEqual(extBytes);
    }
  });

  it("accepts .BTF.ext records larger than the known layout and keeps their extra bytes", () => {
    const btf = Btf.parse(fixtureSection("core_task.bpf.o", ".BTF")!);
    const ext = parseBtfExt(fixtureSection("core_task.bpf.o", ".BTF.ext")!, { btf });
    const grow = <R extends object>(
      sub: { recordSize: number; sections: readonly { records: readonly R[] }[] } | undefined,
    ) =>
      sub && {
        ...sub,
        recordSize: sub.recordSize + 8,
        sections: sub.sections.map((sec) => ({
          ...sec,
          records: sec.records.map((r, i) => ({ ...r, extra: new Uint8Array([i, 1, 2, 3, 4, 5, 6, 0xff]) })),
        })),
      };
    const bigger = { ...ext, funcInfo: grow(ext.funcInfo), lineInfo: grow(ext.lineInfo), coreRelo: grow(ext.coreRelo) };
    const bytes = encodeBtfExt(bigger as typeof ext);
    const back = parseBtfExt(bytes, { btf });
    expect(back.coreRelo!.recordSize).toBe(24);
    expect(back.coreRelo!.sections[0].records[1].extra).toEqual(new Uint8Array([1, 1, 2, 3, 4, 5, 6, 0xff]));
    expect(back.coreRelo!.sections[0].records[1].kind).toBe(ext.coreRelo!.sections[0].records[1].kind);
    expect(back.lineInfo!.sections[0].records[0].line).toBe(ext.lineInfo!.sections[0].records[0].line);
    expect(encodeBtfExt(back)).toEqual(bytes);
  });

  it("reads BTF and .BTF.ext through @bpfkit/elf", () => {
    const elf = readFixture("core_task.bpf.o");
    const { btf, ext } = parseObjectBtf(elf);
    expect(btf.typeCount).toBe(btfFromElf(elf).typeCount);
    expect(ext?.coreRelo?.sections.length).toBeGreaterThan(0);
    for (const sec of ext!.coreRelo!.sections) {
      for (const rec of sec.records) {
        expect(rec.kind).toBeLessThanOrEqual(12);
        expect(btf.stringAt(rec.accessStrOff)).toMatch(/^\d+(:\d+)*$/);
      }
    }
  });
});

function stripOffsets(t: object): unknown {
  return JSON.parse(
    JSON.stringify(t, (key, value) =>
      key === "nameOff" ? undefined : typeof value === "bigint" ? `${value}n` : value,
    ),
  );
}

describeWith(["vmlinux-btf"], "vmlinux round trip", () => {
  it("encode(decode(vmlinux)) is byte-identical", () => {
    const bytes = readVmlinux();
    expect(Buffer.compare(encodeBtf(Btf.parse(bytes)), bytes)).toBe(0);
  });
});
