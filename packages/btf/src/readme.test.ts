// The README examples, run as written (output captured instead of printed).
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { readFixture, readVmlinux } from "../test-support/fixtures.js";
import { Btf, BtfBuilder, dumpBtfRaw, IntEncoding, Kind, Linkage, loadBtfFromObject } from "./btf-api.js";

describeWith(["vmlinux-btf"], "README: task_struct member offsets", () => {
  it("prints every member", () => {
    const lines: string[] = [];
    const btf = Btf.parse(readVmlinux());
    const id = btf.findByName("task_struct", Kind.STRUCT)!;
    lines.push(`struct task_struct: ${btf.resolveSize(id)} bytes, align ${btf.alignOf(id)}`);
    for (let i = 0; i < btf.vlen(id); i++) {
      const bits = btf.memberBitOffset(id, i);
      const width = btf.memberBitfieldSize(id, i);
      const type = btf.skipModsAndTypedefs(btf.memberType(id, i));
      lines.push(
        `  +${bits / 8}${width ? ` (bitfield :${width})` : ""} ${btf.memberName(id, i)} [${btf.type(type).kind}]`,
      );
    }
    expect(lines.length).toBe(btf.vlen(id) + 1);
    expect(lines.some((l) => / pid \[/.test(l))).toBe(true);
  });
});

describe("README: build BTF", () => {
  it("builds, encodes and dumps", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, IntEncoding.SIGNED);
    const pair = b.addStruct("pair", 8, [
      { name: "lo", type: int, bitOffset: 0, bitfieldSize: 16 },
      { name: "hi", type: int, bitOffset: 32 },
    ]);
    const proto = b.addFuncProto(int, [{ name: "p", type: b.addPtr(pair) }]);
    b.addFunc("sum", proto, Linkage.GLOBAL);
    const text = dumpBtfRaw(Btf.parse(b.encode()));
    expect(text).toBe(
      [
        "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
        "[2] STRUCT 'pair' size=8 vlen=2",
        "\t'lo' type_id=1 bits_offset=0 bitfield_size=16",
        "\t'hi' type_id=1 bits_offset=32",
        "[3] PTR '(anon)' type_id=2",
        "[4] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1",
        "\t'p' type_id=3",
        "[5] FUNC 'sum' type_id=4 linkage=global",
        "",
      ].join("\n"),
    );
  });

  it("lists CO-RE records of an object", () => {
    const { btf, ext } = loadBtfFromObject(readFixture("core_task.bpf.o"));
    const lines: string[] = [];
    for (const sec of ext?.coreRelo?.sections ?? []) {
      for (const r of sec.records)
        lines.push(`${sec.name} ${r.insnOff / 8} ${btf.nameOf(r.typeId)} ${btf.stringAt(r.accessStrOff)}`);
    }
    expect(lines.length).toBeGreaterThan(10);
  });
});
