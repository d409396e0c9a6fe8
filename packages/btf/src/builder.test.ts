import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../test/support/env.js";
import { readVmlinux, VMLINUX } from "../test-support/fixtures.js";
import {
  Btf,
  BtfBuilder,
  BtfError,
  dumpBtfJson,
  dumpBtfRaw,
  encodeBtf,
  IntEncoding,
  Kind,
  Linkage,
} from "./btf-api.js";

/** One type of every kind, big enough to exercise bitfields, signed enums and both enum widths. */
function everyKind(builder: BtfBuilder): void {
  const int = builder.addInt("int", 4, IntEncoding.SIGNED);
  const uchar = builder.addInt("unsigned char", 1, IntEncoding.CHAR);
  const ptr = builder.addPtr(int);
  const arr = builder.addArray(uchar, int, 16);
  const st = builder.addStruct("flags", 16, [
    { name: "a", type: int, bitOffset: 0, bitfieldSize: 3 },
    { name: "b", type: int, bitOffset: 3, bitfieldSize: 29 },
    { name: "p", type: ptr, bitOffset: 64 },
  ]);
  builder.addUnion("u", 16, [
    { name: "x", type: int, bitOffset: 0 },
    { name: "bytes", type: arr, bitOffset: 0 },
  ]);
  builder.addEnum(
    "e",
    4,
    [
      { name: "E_NEG", value: -5 },
      { name: "E_POS", value: 7 },
    ],
    true,
  );
  builder.addEnum("ue", 4, [{ name: "UE_BIG", value: 0xfffffff0 }]);
  builder.addEnum64("e64", 8, [
    { name: "E64_BIG", value: 0xffff_ffff_ffff_fff0n },
    { name: "E64_ONE", value: 1n },
  ]);
  builder.addEnum64("se64", 8, [{ name: "SE64_NEG", value: -2n }], true);
  builder.addFwd("fwd_struct");
  builder.addFwd("fwd_union", true);
  const td = builder.addTypedef("my_int", int);
  const vol = builder.addVolatile(td);
  const cst = builder.addConst(vol);
  builder.addRestrict(ptr);
  const tag = builder.addTypeTag("user", int);
  builder.addPtr(tag);
  const proto = builder.addFuncProto(int, [
    { name: "a", type: cst },
    { name: "", type: 0 },
  ]);
  const fn = builder.addFunc("f", proto, Linkage.GLOBAL);
  builder.addFunc("g", proto, Linkage.EXTERN);
  const v = builder.addVar("v", int, Linkage.GLOBAL);
  builder.addVar("sv", int, Linkage.STATIC);
  builder.addDatasec(".data", 8, [{ type: v, offset: 0, size: 4 }]);
  builder.addFloat("double", 8);
  builder.addDeclTag("tag_on_func", fn);
  builder.addDeclTag("tag_on_param", fn, 0);
  builder.addDeclTag("tag_on_member", st, 1);
}

describe("BtfBuilder", () => {
  it("builds every kind and reads it back", () => {
    const builder = new BtfBuilder();
    everyKind(builder);
    const btf = builder.build();
    expect(btf.typeCount).toBe(builder.typeCount);
    for (let id = 1; id < btf.typeCount; id++)
      expect(btf.type(id)).toEqual({ ...builder.type(id), nameOff: btf.nameOff(id), ...offsetsOf(btf, id) });
    const st = btf.findByName("flags", Kind.STRUCT)!;
    expect(btf.kindFlag(st)).toBe(true);
    expect(btf.memberBitfieldSize(st, 1)).toBe(29);
    expect(btf.memberBitOffset(st, 1)).toBe(3);
    expect(btf.enumValueSigned(btf.findByName("e")!, 0)).toBe(-5n);
    expect(btf.enumValueSigned(btf.findByName("se64")!, 0)).toBe(-2n);
    expect(btf.enumValueSigned(btf.findByName("e64")!, 0)).toBe(0xffff_ffff_ffff_fff0n);
    expect(btf.alignOf(st)).toBe(8);
    expect(btf.resolveSize(btf.findByName("v", Kind.VAR)!)).toBe(4);
  });

  it("deduplicates strings", () => {
    const builder = new BtfBuilder();
    const a = builder.addString("hello");
    expect(builder.addString("hello")).toBe(a);
    expect(builder.addString("")).toBe(0);
    expect(builder.stringAt(a)).toBe("hello");
  });

  it("appends to an existing BTF and replaces types", () => {
    const first = new BtfBuilder();
    everyKind(first);
    const btf = first.build();
    const builder = BtfBuilder.from(btf);
    const id = builder.addInt("long", 8, IntEncoding.SIGNED);
    expect(id).toBe(btf.typeCount);
    const ds = btf.findByName(".data", Kind.DATASEC)!;
    builder.replace(ds, {
      kind: Kind.DATASEC,
      name: ".data",
      size: 64,
      vars: [
        { type: btf.findByName("v")!, offset: 8, size: 4 },
        { type: btf.findByName("sv")!, offset: 12, size: 4 },
      ],
    });
    const out = builder.build();
    expect(out.nameOf(id)).toBe("long");
    expect(out.sizeOf(ds)).toBe(64);
    expect(out.datasecVarOffset(ds, 1)).toBe(12);
    expect(out.type(ds + 1)).toEqual(btf.type(ds + 1));
  });

  it("refuses invalid arguments with BtfError", () => {
    const builder = new BtfBuilder();
    expect(() => builder.addInt("x", -1)).toThrow(BtfError);
    expect(() => builder.addString("a\0b")).toThrow(BtfError);
    expect(() =>
      builder.add({
        kind: Kind.STRUCT,
        name: "s",
        size: 4,
        kindFlag: false,
        members: [{ name: "a", type: 0, bitOffset: 0, bitfieldSize: 3 }],
      }),
    ).toThrow(BtfError);
    expect(() => builder.replace(5, { kind: Kind.PTR, name: "", type: 0 })).toThrow(BtfError);
  });
});

function offsetsOf(btf: Btf, id: number): object {
  const t = btf.type(id) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ["members", "values", "params"]) if (key in t) out[key] = t[key];
  return out;
}

/** Writes `bytes` to `name` in `dir` (a suite's useTempDir) for bpftool to read; returns the path. */
function tmp(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describeWith(["bpftool"], "bpftool reads what BtfBuilder writes", () => {
  const dir = useTempDir("bpfkit-btf-");
  it("every kind, both byte orders", () => {
    for (const littleEndian of [true, false]) {
      const builder = new BtfBuilder({ littleEndian });
      everyKind(builder);
      const bytes = builder.encode();
      const btf = Btf.parse(bytes);
      expect(btf.littleEndian).toBe(littleEndian);
      // bpftool only recognizes raw BTF files by a native-endian magic: it reads the big-endian build through its
      // little-endian twin, and our dump of the big-endian bytes must equal bpftool's of that twin
      const path = tmp(
        dir(),
        `every-${littleEndian ? "le" : "be"}.btf`,
        littleEndian ? bytes : encodeBtf(btf, { littleEndian: true }),
      );
      expect(dumpBtfRaw(btf)).toBe(execFileSync("bpftool", ["btf", "dump", "file", path], { encoding: "utf8" }));
      expect(JSON.parse(dumpBtfJson(btf))).toEqual(
        JSON.parse(execFileSync("bpftool", ["-j", "btf", "dump", "file", path], { encoding: "utf8" })),
      );
    }
  });
});

describeWith(["bpftool", "vmlinux-btf"], "split BTF on top of vmlinux", () => {
  const dir = useTempDir("bpfkit-btf-");
  it("continues ids and strings, looks up across both, and dumps like bpftool -B", () => {
    const base = Btf.parse(readVmlinux());
    const builder = new BtfBuilder({ base });
    const task = base.findByName("task_struct", Kind.STRUCT)!;
    const ptr = builder.addPtr(task);
    expect(ptr).toBe(base.typeCount);
    const int = base.findByName("int", Kind.INT)!;
    const st = builder.addStruct("bpfkit_split_probe", 16, [
      { name: "task", type: ptr, bitOffset: 0 },
      { name: "pid", type: int, bitOffset: 64 },
    ]);
    builder.addTypedef("task_struct", ptr);
    const bytes = builder.encode();
    const split = Btf.parse(bytes, { base });
    expect(split.firstOwnId).toBe(base.typeCount);
    expect(split.typeCount).toBe(base.typeCount + 3);
    // "pid" and "task" already exist in the base string table: the split reuses them.
    expect(split.memberNameOff(st, 1)).toBeLessThan(base.strings.end);
    expect(split.findByName("bpfkit_split_probe")).toBe(st);
    expect(split.findAllByName("task_struct")).toEqual([task, st + 1]);
    expect(split.findByName("task_struct", Kind.TYPEDEF)).toBe(st + 1);
    expect(split.resolveSize(st)).toBe(16);
    expect(split.nameOf(task)).toBe("task_struct");
    expect(split.resolveSize(split.memberType(st, 0))).toBe(8);
    const path = tmp(dir(), "split.btf", bytes);
    expect(dumpBtfRaw(split)).toBe(
      execFileSync("bpftool", ["-B", VMLINUX, "btf", "dump", "file", path], { encoding: "utf8" }),
    );
    expect(JSON.parse(dumpBtfJson(split))).toEqual(
      JSON.parse(execFileSync("bpftool", ["-j", "-B", VMLINUX, "btf", "dump", "file", path], { encoding: "utf8" })),
    );
  });
});
