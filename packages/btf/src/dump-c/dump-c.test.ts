// Unit tests on hand-made BTF: malformed graphs must end in a BtfDumpError (never a hang or a stack overflow),
// options behave, and corrupted fixture BTF never makes the dumper throw anything else.
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { addSameNamedStructs, mutatedBtfs, RawBtfBuilder as RawBuilder } from "../../../../test/btf-dump-c-raw.js";
import { seededRandom } from "../../../../test/support/mutate.js";
import { fixtureObjects, readFixture } from "../../test-support/fixtures.js";
import type { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import { BtfDumpError, dumpBtfC, dumpBtfCChunks } from "./index.js";

const INT = 1;
const PTR = 2;
const STRUCT = 4;
const TYPEDEF = 8;
const CONST = 10;
const FUNC_PROTO = 13;

function dumpError(btf: Btf): BtfDumpError {
  try {
    dumpBtfC(btf);
  } catch (err) {
    if (err instanceof BtfDumpError) return err;
    throw err;
  }
  throw new Error("dump succeeded");
}

describe("C dump of malformed type graphs", () => {
  it("refuses a struct that embeds itself by value (libbpf: unsatisfiable type cycle)", () => {
    const b = new RawBuilder();
    const int = b.add(INT, 0, 4, [32], b.name("int"));
    const name = b.name("loop");
    // id 2: struct loop { int x; struct loop self; }
    b.add(STRUCT, 2, 8, [b.name("x"), int, 0, b.name("self"), 2, 32], name);
    const err = dumpError(b.btf());
    expect(err.code).toBe("TYPE_CYCLE");
    expect(err.typeId).toBe(2);
  });

  it("refuses an anonymous struct reaching itself through a pointer", () => {
    const b = new RawBuilder();
    // id 1: struct { <anon> *p; }, id 2: ptr -> 1
    b.add(STRUCT, 1, 8, [b.name("p"), 2, 0]);
    b.add(PTR, 0, 1);
    expect(dumpError(b.btf()).code).toBe("TYPE_CYCLE");
  });

  it("stops on a pointer/const loop instead of recursing forever", () => {
    const b = new RawBuilder();
    b.add(PTR, 0, 2); // 1 -> 2
    b.add(CONST, 0, 1); // 2 -> 1
    expect(() => b.btf()).toThrow(BtfError); // the parser's own cycle check catches it first
    expect(dumpError(b.btf(false)).code).toBe("TOO_DEEP");
  });

  it("stops on a typedef loop", () => {
    const b = new RawBuilder();
    b.add(TYPEDEF, 0, 2, [], b.name("a_t"));
    b.add(TYPEDEF, 0, 1, [], b.name("b_t"));
    expect(dumpError(b.btf(false)).code).toBe("TOO_DEEP");
  });

  it("stops on a function prototype taking a pointer to itself", () => {
    const b = new RawBuilder();
    const int = b.add(INT, 0, 4, [32], b.name("int"));
    // id 2: int (*)(self *), id 3: ptr -> 2, id 4: typedef fn_t -> 3
    b.add(FUNC_PROTO, 1, int, [b.name("self"), 3]);
    b.add(PTR, 0, 2);
    b.add(TYPEDEF, 0, 3, [], b.name("fn_t"));
    expect(dumpError(b.btf()).code).toBe("TOO_DEEP");
  });

  it("refuses a padding gap of gigabytes instead of writing millions of lines", () => {
    const b = new RawBuilder();
    const int = b.add(INT, 0, 4, [32], b.name("int"));
    b.add(STRUCT, 1, 0x0ffffff0, [b.name("x"), int, 0], b.name("huge"));
    const err = dumpError(b.btf());
    expect(err.code).toBe("TOO_LARGE");
    expect(err.typeId).toBe(2);
  });

  it("keeps the chunks written before a failure, then throws", () => {
    const b = new RawBuilder();
    const int = b.add(INT, 0, 4, [32], b.name("int"));
    for (let i = 0; i < 3000; i++) b.add(TYPEDEF, 0, int, [], b.name(`typedef_number_${i}_with_a_long_name_t`));
    // struct loop { struct loop self; }: ordering fails after 3000 typedefs have been written
    const loop = b.typeCount;
    b.add(STRUCT, 1, 4, [b.name("self"), loop, 0], b.name("loop"));
    const chunks: Uint8Array[] = [];
    expect(() => {
      for (const chunk of dumpBtfCChunks(b.btf())) chunks.push(chunk);
    }).toThrow(BtfDumpError);
    expect(chunks.length).toBeGreaterThan(0);
    expect(new TextDecoder().decode(chunks[0])).toContain("typedef int typedef_number_0_with_a_long_name_t;");
  });
});

describe("C dump options", () => {
  const b = new RawBuilder();
  const char = b.add(INT, 0, 1, [(2 << 24) | 8], b.name("char"));
  const long = b.add(INT, 0, 8, [(1 << 24) | 64], b.name("long"));
  // struct s { char c; <gap> long l; } with l at byte 12: needs explicit padding
  b.add(STRUCT, 2, 24, [b.name("c"), char, 0, b.name("l"), long, 96], b.name("s"));

  it("writes the vmlinux.h guard unless asked not to", () => {
    const btf = b.btf();
    expect(dumpBtfC(btf)).toMatch(/^#ifndef __VMLINUX_H__\n/);
    expect(dumpBtfC(btf, { vmlinuxGuard: false })).toMatch(/^struct s \{/);
  });

  it("dumps only the requested roots", () => {
    const text = dumpBtfC(b.btf(), { vmlinuxGuard: false, rootIds: [3] });
    expect(text.startsWith("struct s {\n\tchar c;\n")).toBe(true);
    expect(text.endsWith("\tlong l;\n\tlong: 0;\n} __attribute__((packed));\n\n")).toBe(true);
    expect(() => dumpBtfC(b.btf(), { rootIds: [99] })).toThrow(BtfDumpError);
  });

  it("uses the pointer size for the `long` padding unit", () => {
    const text = dumpBtfC(b.btf(), { vmlinuxGuard: false, pointerSize: 4 });
    expect(text).toContain("long: 32;");
    expect(text).not.toContain("long: 64;");
  });
});

describe("C dump names", () => {
  it("numbers hundreds of same-named types past what one byte holds (name___300)", () => {
    const b = new RawBuilder();
    addSameNamedStructs(b, 300);
    const text = dumpBtfC(b.btf(), { vmlinuxGuard: false });
    expect(text).toContain("struct s {\n");
    expect(text).toContain("struct s___254 {\n");
    expect(text).toContain("struct s___255 {\n");
    expect(text).toContain("struct s___300 {\n");
    expect(text).not.toContain("s___301");
    expect(text).toContain("typedef struct s___300 last_t;\n");
  });
});

describe("C dump of corrupted fixture BTF", () => {
  it("either dumps or throws BtfDumpError on every mutation the parser accepts", () => {
    // Deterministic (test/support/mutate.ts, objects in name order) so a failure reproduces.
    const random = seededRandom(0x2545f491);
    let dumped = 0;
    let refused = 0;
    for (const object of fixtureObjects()) {
      const section = parseElf(readFixture(object)).sectionByName(".BTF");
      if (!section) continue;
      for (const btf of mutatedBtfs(section.data, 150, random)) {
        try {
          dumpBtfC(btf);
          dumped++;
        } catch (err) {
          if (!(err instanceof BtfDumpError)) throw err;
          refused++;
        }
      }
    }
    expect(dumped + refused).toBeGreaterThan(100);
  });
});
