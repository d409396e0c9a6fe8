// The linker against the real thing: linked programs run in the kernel with the values the C says; our output
// loads with the real bpftool and its xlated code equals that of bpftool's own `gen object` output; bpftool's
// output loads with our loader; the BTF equals libbpf 1.1's bpf_linker byte for byte; and `gen object` exits as
// bpftool does but leaves no output behind on failure.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseElf } from "@bpfkit/elf";
import { loadCollection } from "@bpfkit/kernel";
import { type LinkInputFile, link } from "@bpfkit/linker";
import { beforeAll, expect, it } from "vitest";
import { oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";

const dir = fileURLToPath(new URL("./fixtures/link/", import.meta.url));
const file = (name: string) => join(dir, `${name}.bpf.o`);
const inputs = (...names: string[]): LinkInputFile[] =>
  names.map((n) => ({ name: `${n}.bpf.o`, bytes: new Uint8Array(readFileSync(file(n))) }));

type Values = Record<string, unknown>;

/** Loads `object`, runs every program once on a 64-byte packet, returns the named maps' first values. */
function runAll(object: Uint8Array | string, maps: readonly string[]): Values {
  using c = loadCollection(object);
  for (const [name, prog] of c.programs) {
    if (name.startsWith("struct_ops")) continue;
    prog.testRun({ dataIn: new Uint8Array(64) });
  }
  const out: Values = {};
  for (const [name, map] of c.maps) {
    const key = maps.find((m) => name.endsWith(m));
    if (key) Object.assign(out, map.get(0) as Values);
  }
  return out;
}

/** What the fixtures' comments say each program stores (checked against libbpf-linked objects, see below). */
const MULTI_BSS = {
  multi_a_sum: 321n,
  multi_a_tag: 10n,
  multi_a_local: 11n,
  multi_a_secret: 1049n,
  multi_a_pid_exists: 1n,
  multi_a_missing: 0n,
  multi_b_scaled: 300n,
  multi_b_tag: 11n,
  multi_b_local: 110n,
  multi_b_seen_data: 5n,
  multi_b_len: 50n,
  multi_b_hash_type: 1n,
  multi_c_total: 1360n,
  multi_c_len: 64n,
};

describeWith(["root", "bpffs", "vmlinux-btf"], "linked programs in the kernel", () => {
  it("a three-file program computes what its C says, in any link order", () => {
    for (const order of [
      ["multi_a", "multi_b", "multi_c"],
      ["multi_c", "multi_b", "multi_a"],
    ]) {
      expect(runAll(link(inputs(...order)), [".bss"])).toMatchObject(MULTI_BSS);
    }
  });

  it("weak and strong definitions: every case picks libbpf's winner (0x221 = strong, strong, first weak)", () => {
    const values = runAll(link(inputs("weak_a", "weak_b", "weak_c")), [".bss"]);
    expect(values).toMatchObject({ weak_a_fn: 0x221n, weak_a_var: 0x221n, weak_b_fn: 0x221n, weak_b_var: 0x221n });
  });

  it("the three libbpf 1.1 bug cases load and run with the definitions that won", () => {
    expect(runAll(link(inputs("bug_extern_map_a", "bug_extern_map_b")), [".bss"])).toMatchObject({
      bug_extern_a_seen: 1n,
      bug_extern_b_seen: 2n,
    });
    expect(runAll(link(inputs("bug_weak_map_a", "bug_weak_map_b")), [".bss"])).toMatchObject({
      bug_weak_a_seen: 1n,
      bug_weak_b_seen: 2n,
    });
    // The code reads the strong copy, and so does the BTF-typed view of .data (libbpf's shows the weak 1).
    expect(runAll(link(inputs("bug_weak_var_a", "bug_weak_var_b")), [".bss", ".data"])).toMatchObject({
      bug_weak_seen: 2n,
      bug_weak_v: 2,
    });
  });
});

/** bpftool -j output of a command. */
function bpftoolJson<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

/** Each pinned program's xlated instructions, map references by map name instead of id. */
function xlatedByProgram(pinDir: string): Map<string, string[]> {
  const names = new Map<number, string>();
  for (const m of bpftoolJson<{ id: number; name?: string }[]>("map", "show")) names.set(m.id, m.name ?? "");
  const out = new Map<string, string[]>();
  for (const prog of execFileSync("ls", [pinDir], { encoding: "utf8" }).split("\n").filter(Boolean)) {
    const insns = bpftoolJson<{ disasm: string }[]>("prog", "dump", "xlated", "pinned", join(pinDir, prog));
    out.set(
      prog,
      insns.map((i) => i.disasm.replace(/map\[id:(\d+)\]/g, (_, id) => `map[${names.get(Number(id))}]`)),
    );
  }
  return out;
}

/** Groups libbpf 1.1 links correctly (each bug group in the order it gets right). */
const GOOD_GROUPS = [
  ["multi_a", "multi_b", "multi_c"],
  ["weak_a", "weak_b"],
  ["bug_extern_map_b", "bug_extern_map_a"],
  ["bug_weak_map_b", "bug_weak_map_a"],
  ["struct_ops_a", "struct_ops_b"],
  ["../externs", "../xdp_pass"],
];

describeWith(["root", "bpffs", "vmlinux-btf", "bpftool"], "linker interop with the real bpftool", () => {
  const pins = usePinRoot();
  const tmp = useTempDir("bpfkit-linker-");

  /** Our output and bpftool's for the same inputs, as `<dir>/ours/linked.o` and `<dir>/theirs/linked.o`. */
  function both(names: readonly string[]): { ours: string; theirs: string } {
    const paths = { ours: join(tmp(), "ours", "linked.o"), theirs: join(tmp(), "theirs", "linked.o") };
    execFileSync("mkdir", ["-p", join(tmp(), "ours"), join(tmp(), "theirs")]);
    writeFileSync(paths.ours, link(inputs(...names)));
    execFileSync("bpftool", ["gen", "object", paths.theirs, ...names.map(file)]);
    return paths;
  }

  it.each(GOOD_GROUPS.map((g) => [g.join(" + "), g] as const))(
    "%s: loads with bpftool, xlated equal to bpftool's own gen object output",
    (_, names) => {
      const paths = both(names);
      const xlated = (object: string, pin: string) => {
        execFileSync("bpftool", ["prog", "loadall", object, join(pins(), pin)], { stdio: "pipe" });
        return xlatedByProgram(join(pins(), pin));
      };
      const ours = xlated(paths.ours, "ours");
      const reference = xlated(paths.theirs, "theirs");
      expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort());
      expect(ours.size).toBeGreaterThan(0);
      for (const [prog, insns] of reference) expect([prog, ours.get(prog)]).toEqual([prog, insns]);
    },
  );

  it.each([
    ["bug_extern_map_b", "bug_extern_map_a"],
    ["bug_weak_var_b", "bug_weak_var_a"],
    ["struct_ops_a", "struct_ops_b"],
    ["../externs", "../xdp_pass"],
    ["../maps", "../core_task", "../xdp_parse", "../subprogs"],
    ["multi_a", "multi_b", "multi_c"],
  ])("bpftool btf dump of ours equals that of bpftool's output: %s ...", (...names) => {
    const paths = both(names);
    const dump = (object: string) => execFileSync("bpftool", ["btf", "dump", "file", object], { encoding: "utf8" });
    // Hidden globals are local in ours, so their BTF linkage is static (docs/decisions.md); nothing else differs.
    const hidden = /^(\[\d+\] (?:FUNC|VAR) 'multi_secret(?:_fn)?' .*linkage=)static$/gm;
    expect(dump(paths.ours).replace(hidden, "$1global")).toBe(dump(paths.theirs));
  });

  it("bpftool's linked output loads with our loader and runs the same", () => {
    const paths = both(["multi_a", "multi_b", "multi_c"]);
    expect(runAll(paths.theirs, [".bss"])).toMatchObject(MULTI_BSS);
  });

  it("the bug cases: bpftool's own output fails to open, ours loads with bpftool", () => {
    for (const names of [
      ["bug_extern_map_a", "bug_extern_map_b"],
      ["bug_weak_map_a", "bug_weak_map_b"],
    ]) {
      const paths = both(names);
      const run = (object: string, pin: string) => theirs(["prog", "loadall", object, join(pins(), pin)]);
      const broken = run(paths.theirs, "theirs");
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toContain("map relo failed to find map for section '.maps'");
      expect(run(paths.ours, "ours").status).toBe(0);
    }
  });

  it("the weak variable case: bpftool's typed .data view shows the strong value for ours, the dead weak one for theirs", () => {
    const paths = both(["bug_weak_var_a", "bug_weak_var_b"]);
    const value = (object: string, pin: string) => {
      execFileSync("bpftool", ["prog", "loadall", object, join(pins(), pin), "pinmaps", join(pins(), `${pin}-maps`)]);
      const dump = bpftoolJson<{ formatted: { value: Record<string, { bug_weak_v?: number }[]> } }[]>(
        "map",
        "dump",
        "pinned",
        join(pins(), `${pin}-maps`, "linked_data"),
      );
      return dump[0]!.formatted.value[".data"]!.find((v) => "bug_weak_v" in v)?.bug_weak_v;
    };
    expect(value(paths.ours, "ours")).toBe(2);
    expect(value(paths.theirs, "theirs")).toBe(1);
  });
});

describeWith(["libbpf-dev"], "linker BTF against libbpf 1.1's bpf_linker", () => {
  const tmp = useTempDir("bpfkit-linker-btf-");
  let harness = "";
  beforeAll(() => {
    harness = join(tmp(), "link_harness");
    const source = fileURLToPath(new URL("../bench/c/link_harness.c", import.meta.url));
    execFileSync("cc", ["-O2", "-o", harness, source, "-lbpf"], { stdio: "pipe" });
  });

  /** A section of an ELF file. */
  const section = (bytes: Uint8Array, name: string) => parseElf(bytes).sectionByName(name)?.data;

  // Groups libbpf links right (weak_a + weak_b has the weak variable case, multi_* hidden symbols: both differ).
  it.each([
    ["bug_weak_var_b", "bug_weak_var_a"],
    ["bug_extern_map_b", "bug_extern_map_a"],
    ["struct_ops_a", "struct_ops_b"],
    ["../maps", "../core_task", "../xdp_parse", "../subprogs"],
    ["bad_map_shape_b"],
  ])("%s ...: .BTF and .BTF.ext byte for byte", (...names) => {
    const out = join(tmp(), "libbpf.o");
    execFileSync(harness, [out, "1", ...names.map(file)], { stdio: "pipe" });
    const reference = new Uint8Array(readFileSync(out));
    const ours = link(inputs(...names));
    expect(section(ours, ".BTF")).toEqual(section(reference, ".BTF"));
    expect(section(ours, ".BTF.ext")).toEqual(section(reference, ".BTF.ext"));
  });
});

describeWith(["bpftool"], "gen object: exit codes and output files, ours and bpftool's", () => {
  const tmp = useTempDir("bpfkit-gen-object-");

  it.each([
    ["duplicate strong function", ["bad_dup_func_a", "bad_dup_func_b"]],
    ["mismatched extern", ["bad_extern_func_a", "bad_extern_func_b"]],
    ["map shapes", ["bad_map_shape_a", "bad_map_shape_b"]],
    ["big-endian after little-endian", ["multi_a", "multi_b.bpfeb"]],
  ])("%s: same exit code; bpftool leaves an empty OUT, ours nothing", (_, names) => {
    const args = (out: string) => [
      "gen",
      "object",
      out,
      ...names.map((n) => (n.endsWith("bpfeb") ? join(dir, `${n}.o`) : file(n))),
    ];
    const theirsOut = join(tmp(), "theirs.o");
    const oursOut = join(tmp(), "ours.o");
    const reference = theirs(args(theirsOut));
    const run = oursProcess(args(oursOut));
    expect(run.status).toBe(reference.status);
    expect(reference.status).not.toBe(0);
    expect(statSync(theirsOut).size).toBe(0);
    expect(existsSync(oursOut)).toBe(false);
    expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(run.stderr).toMatch(/^Error: failed to link '.*': .* \(\d+\): /);
  });

  it("a missing input and a non-BPF file exit as bpftool does", () => {
    for (const bad of [join(dir, "nosuch.bpf.o"), "/bin/true"]) {
      const args = (out: string) => ["gen", "object", out, file("multi_a"), bad];
      const reference = theirs(args(join(tmp(), "t.o")));
      expect(oursProcess(args(join(tmp(), "o.o"))).status).toBe(reference.status);
    }
  });

  it("success: -j prints what bpftool prints; --explain -j prints the resolutions", () => {
    const names = ["weak_a", "weak_b"].map(file);
    const reference = theirs(["-j", "gen", "object", join(tmp(), "t.o"), ...names]);
    const run = oursProcess(["-j", "gen", "object", join(tmp(), "o.o"), ...names]);
    expect([run.status, run.stdout]).toEqual([reference.status, reference.stdout]);
    const explained = oursProcess(["-j", "gen", "object", "--explain", join(tmp(), "e.o"), ...names]);
    const resolutions = JSON.parse(explained.stdout) as { name: string; winner: string | null }[];
    expect(resolutions.find((r) => r.name === "weak_fn_override")?.winner).toBe(file("weak_b"));
  });
});
