import { Btf, BtfBuilder, BtfError, type BtfType, Kind, Linkage } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { FIXTURES, fixtureBytes } from "../../../../test/loader-support.js";
import { openObject } from "../object/index.js";
import {
  type BtfSanitizeFeatures,
  btfNeedsSanitization,
  ENUM64_PLACEHOLDER_NAME,
  sanitizeBtf,
} from "./sanitize-btf.js";

const ALL_ON: BtfSanitizeFeatures = {
  btfFunc: true,
  btfGlobalFunc: true,
  btfDatasec: true,
  btfFloat: true,
  btfDeclTag: true,
  btfTypeTag: true,
  btfEnum64: true,
  btfQmarkDatasec: true,
};
const FLAGS = Object.keys(ALL_ON) as (keyof BtfSanitizeFeatures)[];
const ALL_OFF = Object.fromEntries(FLAGS.map((k) => [k, false])) as unknown as BtfSanitizeFeatures;
const CASES: [string, BtfSanitizeFeatures][] = [
  ...FLAGS.map((k): [string, BtfSanitizeFeatures] => [`${k} off`, { ...ALL_ON, [k]: false }]),
  ["all off", ALL_OFF],
];
const OBJECTS = [...FIXTURES, "btf_kinds"];

function objectBtf(fixture: string): Btf {
  return Btf.parse(openObject(fixtureBytes(fixture)).btf!);
}

/** A decoded type without the string offsets, which renamed types do not keep. */
function shape(btf: Btf, id: number): unknown {
  return JSON.parse(
    JSON.stringify(btf.type(id), (key, value) =>
      key === "nameOff" ? undefined : typeof value === "bigint" ? `${value}` : value,
    ),
  );
}

/** Asserts the libbpf 1.1 rewrite rule for one type, `before` from the original BTF, `after` from the result. */
function expectRule(orig: Btf, out: Btf, id: number, f: BtfSanitizeFeatures, placeholder: number): void {
  const before = orig.type(id) as BtfType;
  const after = out.type(id) as BtfType;
  const where = `type [${id}] ${before.name}`;
  switch (before.kind) {
    case Kind.VAR:
    case Kind.DECL_TAG:
      if ((before.kind === Kind.VAR && !f.btfDatasec) || (before.kind === Kind.DECL_TAG && !f.btfDeclTag)) {
        expect(after, where).toMatchObject({ kind: Kind.INT, name: before.name, size: 1, bits: 8, encoding: 0 });
        return;
      }
      break;
    case Kind.DATASEC:
      if (!f.btfDatasec) {
        expect(after.kind, where).toBe(Kind.STRUCT);
        if (after.kind !== Kind.STRUCT) return;
        expect(after.name).toBe(before.name.replace(/[.?]/g, "_"));
        expect(after.size).toBe(before.size);
        expect(after.members).toEqual(
          before.vars.map((v) => ({
            name: orig.nameOf(v.type),
            nameOff: orig.nameOff(v.type),
            type: v.type,
            bitOffset: v.offset * 8,
            bitfieldSize: 0,
          })),
        );
        return;
      }
      if (f.btfQmarkDatasec === false && before.name.startsWith("?")) {
        expect(after).toMatchObject({ kind: Kind.DATASEC, name: `_${before.name.slice(1)}`, vars: before.vars });
        return;
      }
      break;
    case Kind.FUNC_PROTO:
      if (!f.btfFunc) {
        expect(after, where).toMatchObject({
          kind: Kind.ENUM,
          size: 4,
          signed: false,
          values: before.params.map((p) => ({ name: p.name, value: p.type })),
        });
        return;
      }
      break;
    case Kind.FUNC:
      if (!f.btfFunc) {
        expect(after, where).toMatchObject({ kind: Kind.TYPEDEF, name: before.name, type: before.type });
        return;
      }
      if (!f.btfGlobalFunc) {
        expect(after, where).toMatchObject({ kind: Kind.FUNC, name: before.name, type: before.type, linkage: 0 });
        return;
      }
      break;
    case Kind.FLOAT:
      if (!f.btfFloat) {
        expect(after, where).toMatchObject({ kind: Kind.STRUCT, name: "", size: before.size, members: [] });
        expect(out.nameOff(id)).toBe(0);
        return;
      }
      break;
    case Kind.TYPE_TAG:
      if (!f.btfTypeTag) {
        expect(after, where).toMatchObject({ kind: Kind.CONST, name: "", type: before.type });
        expect(out.nameOff(id)).toBe(0);
        return;
      }
      break;
    case Kind.ENUM:
      if (!f.btfEnum64) {
        expect(out.kindFlag(id), where).toBe(false);
        expect(after).toMatchObject({ kind: Kind.ENUM, name: before.name, size: before.size, signed: false });
        if (after.kind === Kind.ENUM) {
          expect(after.values.map((v) => [v.name, v.value >>> 0])).toEqual(
            before.values.map((v) => [v.name, v.value >>> 0]),
          );
        }
        return;
      }
      break;
    case Kind.ENUM64:
      if (!f.btfEnum64) {
        expect(after, where).toMatchObject({
          kind: Kind.UNION,
          name: before.name,
          size: before.size,
          kindFlag: false,
          members: before.values.map((v) => ({ name: v.name, type: placeholder, bitOffset: 0, bitfieldSize: 0 })),
        });
        return;
      }
      break;
  }
  expect(shape(out, id), where).toEqual(shape(orig, id));
}

describe("btfNeedsSanitization", () => {
  it("is false only when every BTF feature is there (a missing btfQmarkDatasec counts as there)", () => {
    expect(btfNeedsSanitization(ALL_ON)).toBe(false);
    const { btfQmarkDatasec: _, ...withoutQmark } = ALL_ON;
    expect(btfNeedsSanitization(withoutQmark)).toBe(false);
    for (const [, f] of CASES) expect(btfNeedsSanitization(f)).toBe(true);
  });
});

describe("sanitizeBtf on every fixture's BTF", () => {
  for (const fixture of OBJECTS) {
    for (const [label, features] of CASES) {
      it(`${fixture}: ${label}`, () => {
        const orig = objectBtf(fixture);
        expect(orig.typeCount).toBeGreaterThan(1); // the loops below check types 1..typeCount-1
        const out = Btf.parse(sanitizeBtf(orig, features));
        const hasEnum64 = [...orig.types()].some(([, t]) => t.kind === Kind.ENUM64);
        const addsPlaceholder = !features.btfEnum64 && hasEnum64;
        // ids never move: only the placeholder is appended
        expect(out.typeCount).toBe(orig.typeCount + (addsPlaceholder ? 1 : 0));
        const placeholder = addsPlaceholder ? orig.typeCount : 0;
        if (addsPlaceholder) {
          expect(out.type(placeholder)).toMatchObject({
            kind: Kind.INT,
            name: ENUM64_PLACEHOLDER_NAME,
            size: 1,
            bits: 8,
          });
        }
        for (let id = 1; id < orig.typeCount; id++) expectRule(orig, out, id, features, placeholder);
        // string offsets used by the original (line info points into them) still name the same strings
        for (let id = 1; id < orig.typeCount; id++) expect(out.stringAt(orig.nameOff(id))).toBe(orig.nameOf(id));
      });
    }
  }

  it("btf_kinds.bpf.o has every kind a rule is about, so the loop above exercises all of them", () => {
    const kinds = new Set([...objectBtf("btf_kinds").types()].map(([, t]) => t.kind));
    for (const k of [Kind.VAR, Kind.DATASEC, Kind.FUNC, Kind.FUNC_PROTO, Kind.FLOAT, Kind.DECL_TAG, Kind.TYPE_TAG]) {
      expect(kinds.has(k)).toBe(true);
    }
    expect(kinds.has(Kind.ENUM64)).toBe(true);
    const btf = objectBtf("btf_kinds");
    expect(btf.kindFlag(btf.findByName("signed_values", Kind.ENUM)!)).toBe(true);
    expect(btf.linkage(btf.findByName("add_tagged", Kind.FUNC)!)).toBe(Linkage.GLOBAL);
  });
});

describe("sanitizeBtf specifics", () => {
  it("btf_kinds with everything off: the exact types libbpf 1.1 would send", () => {
    const orig = objectBtf("btf_kinds");
    const out = Btf.parse(sanitizeBtf(orig, ALL_OFF));
    const id = (name: string, kind: number) => orig.findByName(name, kind)!;
    expect(out.type(id(".data", Kind.DATASEC))).toMatchObject({
      kind: Kind.STRUCT,
      name: "_data",
      members: [
        { name: "sample_data", type: id("sample_data", Kind.VAR), bitOffset: 0 },
        { name: "tagged_global", type: id("tagged_global", Kind.VAR), bitOffset: 40 * 8 },
      ],
    });
    expect(out.type(id("float", Kind.FLOAT))).toMatchObject({ kind: Kind.STRUCT, name: "", size: 4 });
    expect(out.type(id("double", Kind.FLOAT))).toMatchObject({ kind: Kind.STRUCT, name: "", size: 8 });
    expect(out.type(id("wide_values", Kind.ENUM64))).toMatchObject({
      kind: Kind.UNION,
      size: 8,
      members: [
        { name: "WIDE_ONE", type: orig.typeCount },
        { name: "WIDE_HUGE", type: orig.typeCount },
      ],
    });
    expect(out.type(id("signed_values", Kind.ENUM))).toMatchObject({
      signed: false,
      values: [
        { name: "SIGNED_NEG", value: 0xffffffff },
        { name: "SIGNED_POS", value: 1 },
      ],
    });
    expect(out.type(id("sample_field", Kind.DECL_TAG))).toMatchObject({
      kind: Kind.INT,
      name: "sample_field",
      size: 1,
    });
    expect(out.type(id("tagged_ptr", Kind.TYPE_TAG))).toMatchObject({ kind: Kind.CONST, name: "" });
    const func = id("add_tagged", Kind.FUNC);
    expect(out.type(func)).toMatchObject({ kind: Kind.TYPEDEF, name: "add_tagged", type: orig.typeIdOf(func) });
    expect(out.type(orig.typeIdOf(func))).toMatchObject({
      kind: Kind.ENUM,
      size: 4,
      values: [{ name: "value", value: 1 }],
    });
  });

  it("`?` DATASEC names: leading `?` → `_` when only qmark is missing, every `.`/`?` → `_` when DATASEC is", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, 1);
    const v = b.addVar("x", int);
    const sec = b.addDatasec("?.data.opt", 4, [{ type: v, offset: 0, size: 4 }]);
    const raw = b.encode();
    expect(Btf.parse(sanitizeBtf(raw, { ...ALL_ON, btfQmarkDatasec: false })).type(sec)).toMatchObject({
      kind: Kind.DATASEC,
      name: "_.data.opt",
    });
    expect(Btf.parse(sanitizeBtf(raw, { ...ALL_ON, btfDatasec: false })).type(sec)).toMatchObject({
      kind: Kind.STRUCT,
      name: "__data_opt",
    });
    expect(Btf.parse(sanitizeBtf(raw, ALL_ON)).type(sec)).toMatchObject({ name: "?.data.opt" });
  });

  it("bytes and a parsed Btf give the same result, and the input is left alone", () => {
    const raw = openObject(fixtureBytes("btf_kinds")).btf!;
    const copy = raw.slice();
    expect(sanitizeBtf(raw, ALL_OFF)).toEqual(sanitizeBtf(Btf.parse(raw), ALL_OFF));
    expect(raw).toEqual(copy);
  });

  it("malformed BTF is @bpfkit/btf's BtfError", () => {
    let error: unknown;
    try {
      sanitizeBtf(new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0, 0]), ALL_OFF);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BtfError);
    expect(error).toMatchObject({ code: "TRUNCATED", section: ".BTF", offset: 0 });
  });
});
