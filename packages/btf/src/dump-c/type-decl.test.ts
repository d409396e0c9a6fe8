// CTypeDeclWriter: libbpf's btf_dump__emit_type_decl on hand-made BTF (field names, strip_mods, inline anonymous
// bodies, renaming shared across calls). test/bpftool-gen.test.ts holds it to bpftool's skeletons.
import { describe, expect, it } from "vitest";
import { Btf } from "../btf.js";
import { BtfBuilder } from "../builder.js";
import { IntEncoding } from "../kinds.js";
import { BtfDumpError } from "./errors.js";
import { CTypeDeclWriter } from "./type-decl.js";

function build(fill: (b: BtfBuilder) => void): Btf {
  const b = new BtfBuilder();
  fill(b);
  return Btf.parse(b.encode());
}

describe("CTypeDeclWriter", () => {
  it("writes declarators around the field name, with and without strip_mods", () => {
    const ids: Record<string, number> = {};
    const btf = build((b) => {
      const int = b.addInt("int", 4, IntEncoding.SIGNED);
      const char = b.addInt("char", 1, IntEncoding.SIGNED);
      ids.int = int;
      ids.cvInt = b.addConst(b.addVolatile(int));
      ids.array = b.addArray(char, int, 16);
      ids.matrix = b.addArray(b.addArray(int, int, 3), int, 2);
      ids.fnPtr = b.addPtr(
        b.addFuncProto(int, [
          { name: "a", type: int },
          { name: "", type: b.addPtr(char) },
        ]),
      );
      ids.constPtr = b.addConst(b.addPtr(b.addConst(char)));
      ids.typedef = b.addTypedef("u32", int);
      ids.noArgs = b.addPtr(b.addFuncProto(0, []));
    });
    const w = new CTypeDeclWriter(btf);
    const decl = (id: number, stripMods = false) => w.declaration(id, { fieldName: "x", stripMods });
    expect(decl(ids.int!)).toBe("int x");
    // Qualifiers come out innermost first, as libbpf writes them: BTF const -> volatile -> int.
    expect(decl(ids.cvInt!)).toBe("volatile const int x");
    expect(decl(ids.cvInt!, true)).toBe("int x");
    expect(decl(ids.array!)).toBe("char x[16]");
    expect(decl(ids.matrix!)).toBe("int x[2][3]");
    expect(decl(ids.fnPtr!)).toBe("int (*x)(int a, char *)");
    expect(decl(ids.constPtr!)).toBe("const char * const x");
    expect(decl(ids.constPtr!, true)).toBe("char *x");
    expect(decl(ids.typedef!)).toBe("u32 x");
    expect(decl(ids.noArgs!)).toBe("void (*x)(void)");
    // No field name: an abstract declarator (the subskeleton's `typeof(...)`).
    expect(w.declaration(ids.array!)).toBe("char[16]");
    expect(w.declaration(ids.fnPtr!)).toBe("int (*)(int a, char *)");
  });

  it("writes anonymous bodies inline at the indent level, names renamed as in one btf_dump", () => {
    const ids: Record<string, number> = {};
    const btf = build((b) => {
      const int = b.addInt("int", 4, IntEncoding.SIGNED);
      ids.anon = b.addStruct("", 8, [
        { name: "a", type: int, bitOffset: 0 },
        { name: "b", type: b.addConst(int), bitOffset: 32 },
      ]);
      ids.first = b.addStruct("pair", 4, [{ name: "v", type: int, bitOffset: 0 }]);
      ids.second = b.addStruct("pair", 8, [{ name: "w", type: int, bitOffset: 32 }]);
    });
    const w = new CTypeDeclWriter(btf);
    expect(w.declaration(ids.anon!, { fieldName: "s", indentLevel: 2 })).toBe(
      "struct {\n\t\t\tint a;\n\t\t\tconst int b;\n\t\t} s",
    );
    // strip_mods reaches the members of an inline body too.
    expect(w.declaration(ids.anon!, { fieldName: "s", indentLevel: 2, stripMods: true })).toBe(
      "struct {\n\t\t\tint a;\n\t\t\tint b;\n\t\t} s",
    );
    // The second type named `pair` asked for is the one renamed, whichever its id.
    expect(w.declaration(ids.second!, { fieldName: "p" })).toBe("struct pair p");
    expect(w.declaration(ids.first!, { fieldName: "q" })).toBe("struct pair___2 q");
  });

  it("sizes and alignments as btf__resolve_size / btf__align_of, and refuses ids past the end", () => {
    let arr = 0;
    const btf = build((b) => {
      const long = b.addInt("long", 8, IntEncoding.SIGNED);
      arr = b.addArray(long, long, 3);
    });
    const w = new CTypeDeclWriter(btf);
    expect(w.resolveSize(arr)).toBe(24);
    expect(w.alignOf(arr)).toBe(8);
    expect(() => w.declaration(99)).toThrow(BtfDumpError);
  });
});
