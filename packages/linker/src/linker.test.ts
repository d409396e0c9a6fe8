// The linker on the committed multi-file fixtures (test/fixtures/link): symbol resolution, DATASECs that point
// where the symbols are (the three libbpf 1.1 bugs), determinism, link order, errors and explain. Pure: no tools
// and no kernel; test/linker-*.test.ts hold the runs against the kernel and the real bpftool.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Btf, btfFromElf, Kind, Linkage } from "@bpfkit/btf";
import { type ElfFile, parseElf, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { LinkError, Linker, link } from "./index.js";

const dir = fileURLToPath(new URL("../../../test/fixtures/link/", import.meta.url));
const input = (name: string) => ({ name: `${name}.bpf.o`, bytes: new Uint8Array(readFileSync(`${dir}${name}.bpf.o`)) });
const inputs = (...names: string[]) => names.map(input);

function linkError(fn: () => unknown): LinkError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LinkError) return error;
    throw error;
  }
  throw new Error("no LinkError");
}

/**
 * name → section and offset of every DATASEC entry, with the value of the ELF symbol of that name in that section
 * (undefined for names that two inputs' statics share).
 */
function datasecEntries(elf: ElfFile, btf: Btf) {
  const out = new Map<string, { section: string; offset: number; symbolValue: number | undefined }>();
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kind(id) !== Kind.DATASEC) continue;
    const section = btf.nameOf(id);
    for (let j = 0; j < btf.vlen(id); j++) {
      const name = btf.nameOf(btf.datasecVarType(id, j));
      const syms = elf.symbols.filter((s) => s.name === name && s.section?.name === section);
      const symbolValue = syms.length === 1 ? syms[0]!.value : undefined;
      out.set(name, { section, offset: btf.datasecVarOffset(id, j), symbolValue });
    }
  }
  return out;
}

function opened(bytes: Uint8Array) {
  const elf = parseElf(bytes);
  return { elf, btf: btfFromElf(elf) };
}

describe("link: a three-file program", () => {
  const bytes = link(inputs("multi_a", "multi_b", "multi_c"));
  const { elf, btf } = opened(bytes);

  it("resolves every extern function, variable and map against another input's definition", () => {
    const undefinedGlobals = elf.symbols.filter((s) => s.index > 0 && s.shndx === 0).map((s) => s.name);
    expect(undefinedGlobals).toEqual([]);
    const sym = (name: string) => elf.symbols.filter((s) => s.name === name);
    expect(sym("multi_scale")).toHaveLength(1);
    expect(sym("multi_scale")[0]).toMatchObject({ binding: STB_GLOBAL, type: STT_FUNC });
    expect(sym("multi_scale")[0]?.section?.name).toBe(".text");
    expect(sym("multi_last")[0]?.section?.name).toBe(".maps");
    expect(sym("multi_base")[0]?.section?.name).toBe(".data");
  });

  it("keeps same-named statics of different inputs apart", () => {
    const locals = elf.symbols.filter((s) => s.name === "multi_local");
    expect(locals).toHaveLength(2);
    expect(locals.every((s) => s.binding === STB_LOCAL && s.type === STT_FUNC)).toBe(true);
    expect(locals[0]!.value).not.toBe(locals[1]!.value);
  });

  it("gives hidden globals local binding and static BTF linkage", () => {
    for (const name of ["multi_secret", "multi_secret_fn"]) {
      const [sym] = elf.symbols.filter((s) => s.name === name);
      expect(sym?.binding).toBe(STB_LOCAL);
      const id = btf.findByName(name)!;
      expect(btf.kind(id) === Kind.FUNC ? btf.vlen(id) : btf.linkage(id)).toBe(Linkage.STATIC);
    }
    // sh_info is the first non-local symbol, as ELF requires (libbpf's linker writes 0)
    const firstGlobal = elf.symbols.findIndex((s) => s.binding !== STB_LOCAL && s.index > 0);
    expect(elf.symtab!.firstNonLocal).toBe(firstGlobal);
  });

  it("writes DATASECs whose entries sit where the symbols are, sized by the sections", () => {
    const entries = datasecEntries(elf, btf);
    const checked = [...entries].filter(([, e]) => e.symbolValue !== undefined);
    expect(checked.length).toBeGreaterThan(20);
    for (const [name, e] of checked) expect([name, e.offset]).toEqual([name, e.symbolValue]);
    for (const section of [".data", ".bss", ".rodata", ".maps"]) {
      const id = btf.findByName(section, Kind.DATASEC)!;
      expect(btf.sizeField(id)).toBe(elf.sectionByName(section)!.size);
    }
  });

  it("is deterministic: same inputs, same order, same bytes", () => {
    expect(link(inputs("multi_a", "multi_b", "multi_c"))).toEqual(bytes);
  });

  it("hands out outputs that later links do not alias or overwrite (memory is reused between links)", () => {
    const first = link(inputs("multi_a", "multi_b", "multi_c"));
    const copy = first.slice();
    // An incremental Linker still open while one-shot links reuse memory, and links of other inputs in between.
    const open = new Linker();
    open.add(input("multi_a"));
    const other = link(inputs("weak_a", "weak_b"));
    open.add(input("multi_b"));
    const second = link(inputs("multi_a", "multi_b", "multi_c"));
    open.add(input("multi_c"));
    const incremental = open.finish();
    expect(first).toEqual(copy);
    expect(second).toEqual(copy);
    expect(incremental).toEqual(copy);
    expect(link(inputs("weak_a", "weak_b"))).toEqual(other);
    expect(new Set([first.buffer, second.buffer, other.buffer, incremental.buffer]).size).toBe(4);
  });

  it("gives an equivalent object in any input order", () => {
    const summary = (b: Uint8Array) => {
      const o = opened(b);
      const globals = o.elf.symbols
        .filter((s) => s.binding !== STB_LOCAL)
        .map((s) => `${s.name} ${s.section?.name} ${s.size} ${s.type} ${s.binding}`)
        .sort();
      const vars = [...datasecEntries(o.elf, o.btf)]
        .map(([name, e]) => `${name} ${e.section} ${e.symbolValue === undefined || e.symbolValue === e.offset}`)
        .sort();
      const sections = o.elf.sections.map((s) => `${s.name} ${s.size}`).sort();
      return { globals, vars, sections, types: o.btf.typeCount };
    };
    const reference = summary(bytes);
    for (const order of [
      ["multi_c", "multi_b", "multi_a"],
      ["multi_b", "multi_a", "multi_c"],
    ]) {
      expect(summary(link(inputs(...order)))).toEqual(reference);
    }
  });
});

describe("link: where libbpf 1.1 is wrong", () => {
  it.each([
    ["an extern map before its definition", ["bug_extern_map_a", "bug_extern_map_b"], "bug_extern_shared", 32],
    ["a weak map before the strong one", ["bug_weak_map_a", "bug_weak_map_b"], "bug_weak_shared", 64],
    ["a weak variable before the strong one", ["bug_weak_var_a", "bug_weak_var_b"], "bug_weak_v", 20],
  ])("%s: the DATASEC entry follows the winning definition", (_, names, symbol, offset) => {
    const { elf, btf } = opened(link(inputs(...names)));
    const entry = datasecEntries(elf, btf).get(symbol)!;
    expect(entry).toMatchObject({ offset, symbolValue: offset });
    // and the section's entries are in offset order, as the kernel requires
    const id = btf.findByName(entry.section, Kind.DATASEC)!;
    const offsets = Array.from({ length: btf.vlen(id) }, (_, j) => btf.datasecVarOffset(id, j));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it("a weak variable's winning value is the one in .data at the DATASEC offset", () => {
    const { elf, btf } = opened(link(inputs("bug_weak_var_a", "bug_weak_var_b")));
    const entry = datasecEntries(elf, btf).get("bug_weak_v")!;
    const data = elf.sectionByName(".data")!.data;
    expect(new DataView(data.buffer, data.byteOffset).getInt32(entry.offset, true)).toBe(2);
  });
});

describe("link: weak and strong definitions", () => {
  const linker = new Linker();
  for (const i of inputs("weak_a", "weak_b", "weak_c")) linker.add(i);
  const { elf } = opened(linker.finish());
  const resolution = (name: string) => linker.explain().find((r) => r.name === name)!;

  it("strong beats weak in either order, and the first weak wins among weaks", () => {
    expect(resolution("weak_fn_override")).toMatchObject({ winner: "weak_b.bpf.o", binding: "global" });
    expect(resolution("weak_fn_strong_first")).toMatchObject({ winner: "weak_a.bpf.o", binding: "global" });
    expect(resolution("weak_fn_both")).toMatchObject({ winner: "weak_a.bpf.o", binding: "weak" });
    expect(resolution("weak_map_override")).toMatchObject({ winner: "weak_c.bpf.o", kind: "map", section: ".maps" });
    expect(resolution("weak_var_both").reason).toBe(
      "first weak definition, in 'weak_a.bpf.o', wins over later weak ones in 'weak_b.bpf.o'",
    );
    expect(resolution("weak_fn_override").reason).toBe(
      "strong definition in 'weak_b.bpf.o' beats weak definition in 'weak_a.bpf.o'",
    );
    expect(elf.symbols.find((s) => s.name === "weak_fn_both")?.binding).toBe(STB_WEAK);
  });

  it("explains an extern resolved to a definition and an unresolved one", () => {
    const l = new Linker();
    for (const i of inputs("bug_extern_map_a", "bug_extern_map_b")) l.add(i);
    expect(l.explain().find((r) => r.name === "bug_extern_shared")?.reason).toBe(
      "only definition, in 'bug_extern_map_b.bpf.o'; extern in 'bug_extern_map_a.bpf.o' resolved to it",
    );
    const alone = new Linker();
    alone.add(input("multi_b"));
    expect(alone.explain().find((r) => r.name === "multi_add")).toMatchObject({ winner: undefined });
    expect(alone.finish().length).toBeGreaterThan(0);
  });
});

describe("link: errors name the symbol and both inputs", () => {
  it.each([
    ["bad_dup_func", "SYMBOL_CONFLICT", "bad_dup_func"],
    ["bad_dup_var", "SYMBOL_CONFLICT", "bad_dup_var"],
    ["bad_extern_func", "TYPE_MISMATCH", "bad_proto_fn"],
    ["bad_extern_var", "TYPE_MISMATCH", "bad_type_var"],
    ["bad_map_shape", "MAP_MISMATCH", "bad_shape_map"],
  ])("%s", (name, code, symbol) => {
    const error = linkError(() => link(inputs(`${name}_a`, `${name}_b`)));
    expect(error).toMatchObject({ code, symbol, input: `${name}_b.bpf.o`, otherInput: `${name}_a.bpf.o` });
    expect(error.message).toContain(`'${symbol}'`);
    expect(error.message).toContain(`${name}_a.bpf.o`);
    expect(error.message).toContain(`${name}_b.bpf.o`);
  });

  it("lists every differing field of two map definitions", () => {
    const error = linkError(() => link(inputs("bad_map_shape_a", "bad_map_shape_b")));
    expect(error.fields).toEqual([
      "key_size (4 vs 8)",
      "key type (incompatible int '' size 4 and 8)",
      "max_entries (16 vs 32)",
    ]);
  });

  it("refuses bad input lists and non-BPF or mixed-endian objects", () => {
    expect(linkError(() => link([])).code).toBe("NO_INPUTS");
    expect(linkError(() => new Linker().finish()).code).toBe("NO_INPUTS");
    expect(linkError(() => link(inputs("multi_a", "multi_a")))).toMatchObject({ code: "DUPLICATE_INPUT" });
    const copy = { name: "copy.o", bytes: input("multi_a").bytes };
    expect(linkError(() => link([input("multi_a"), copy]))).toMatchObject({
      code: "DUPLICATE_INPUT",
      input: "copy.o",
      otherInput: "multi_a.bpf.o",
    });
    const x86 = input("multi_a").bytes.slice();
    x86[18] = 62; // e_machine EM_X86_64
    expect(linkError(() => link([{ name: "x86.o", bytes: x86 }]))).toMatchObject({ code: "NOT_BPF", input: "x86.o" });
    expect(linkError(() => link([{ name: "text", bytes: new TextEncoder().encode("not an object") }])).code).toBe(
      "BAD_ELF",
    );
    const be = { name: "multi_b.bpfeb.o", bytes: new Uint8Array(readFileSync(`${dir}multi_b.bpfeb.o`)) };
    expect(linkError(() => link([input("multi_a"), be]))).toMatchObject({
      code: "BYTE_ORDER",
      input: "multi_b.bpfeb.o",
      otherInput: "multi_a.bpf.o",
    });
  });

  it("a spent Linker keeps failing with its first error", () => {
    const l = new Linker();
    l.add(input("bad_dup_var_a"));
    const first = linkError(() => l.add(input("bad_dup_var_b")));
    expect(linkError(() => l.finish())).toBe(first);
  });
});

describe("link: big-endian objects", () => {
  it("links big-endian inputs into a big-endian object", () => {
    const be = { name: "multi_b.bpfeb.o", bytes: new Uint8Array(readFileSync(`${dir}multi_b.bpfeb.o`)) };
    const { elf, btf } = opened(link([be]));
    expect(elf.endianness).toBe("big");
    expect(btf.littleEndian).toBe(false);
    expect(btf.findByName("multi_scale", Kind.FUNC)).toBeDefined();
  });
});

describe("link: the object writer", () => {
  const fixtures = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));
  const object = (path: string) => ({ name: path, bytes: new Uint8Array(readFileSync(`${fixtures}${path}`)) });
  const viaGeneralWriter = (files: { name: string; bytes: Uint8Array }[]) => {
    const linker = new Linker(true);
    for (const file of files) linker.add(file);
    return linker.finish();
  };

  it("writes the same bytes as @bpfkit/elf's general writer", () => {
    const sets = [
      ["link/multi_a.bpf.o", "link/multi_b.bpf.o", "link/multi_c.bpf.o"],
      ["link/weak_a.bpf.o", "link/weak_b.bpf.o", "link/weak_c.bpf.o"],
      ["link/struct_ops_a.bpf.o", "link/struct_ops_b.bpf.o"],
      ["link/multi_b.bpfeb.o"],
      ["globals.bpfeb.o"],
      ["externs.bpf.o", "core_subprogs.bpf.o"],
      ["btf_kinds.bpf.o"],
    ];
    for (const paths of sets) {
      const files = paths.map(object);
      expect(link(files), paths.join(" ")).toEqual(viaGeneralWriter(files));
    }
  });
});
