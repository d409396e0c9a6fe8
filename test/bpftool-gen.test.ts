// `bpftool gen skeleton | subskeleton | min_core_btf | object` against the real bpftool 7.1.0: the generated header
// byte for byte (stdout), libbpf's lines and bpftool's errors (stderr) and the exit status, on every fixture
// object, on objects compiled here for the shapes of global data a skeleton has to declare, and on bad input;
// min_core_btf's output file byte for byte.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureObjects, same, VMLINUX } from "./bpftool-oracle-support.js";
import { compileBpf, fixtureDir } from "./btf-dump-c-support.js";
import { compileFixture } from "./core-support.js";
import { ours, type Run, theirs } from "./support/bpftool.js";
import { describeWith, useTempDir } from "./support/env.js";

const tmp = useTempDir("bpfkit-bpftool-gen-");

/** Global data a skeleton must declare: every declarator shape, modifiers, padding, static and hidden variables. */
const GLOBALS_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef int (*handler_t)(void *ctx, int code);
struct point { int x, y; };
struct wrap { struct { int a; union { char c; short s; } u; } inner; int bits: 3, more: 5; };
enum color { RED, GREEN = 5 };

const volatile int cfg_threshold = 7;
const volatile char cfg_name[12] = "skel";
const volatile struct point cfg_origin = { 1, 2 };
volatile u64 counter;
char small;
u64 wide;
struct point points[4];
int matrix[2][3];
handler_t handlers[2];
int (*fn_ptr)(int, char *);
const char *const names[2] = { "a", "b" };
struct wrap wrapped;
enum color shade = GREEN;
struct { int anon_a; long anon_b; } anon_var;
static int hidden_static = 3;
__attribute__((visibility("hidden"))) int hidden_global = 4;
int data_val SEC(".data.extra") = 9;
const volatile int ro_extra SEC(".rodata.extra") = 10;

SEC("xdp")
int skel_prog(struct xdp_md *ctx)
{
	counter += cfg_threshold + hidden_static + hidden_global + data_val + ro_extra + small + wrapped.bits;
	points[0].x = matrix[1][2];
	return XDP_PASS;
}

SEC("tc")
int skel_tc(void *ctx)
{
	bpf_printk("only a string literal %d", shade);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

describeWith(["bpftool"], "gen skeleton / subskeleton = bpftool", () => {
  it("every fixture object (failures included: big-endian, legacy maps, .bss.*)", async () => {
    const objects = fixtureObjects();
    expect(objects.length).toBeGreaterThan(20);
    let generated = 0;
    for (const object of objects) {
      for (const command of ["skeleton", "subskeleton"]) {
        const r = await same(["gen", command, object]);
        if (r.status === 0) generated++;
      }
    }
    // Most fixtures generate; the refusals are compared above all the same.
    expect(generated).toBeGreaterThan(40);
  });

  it("object names, argument errors, -j, and prefixes", async () => {
    const object = join(fixtureDir, "globals.bpf.o");
    for (const args of [
      ["gen", "skeleton", object, "name", "my_obj"],
      ["gen", "skeleton", object, "name", "dotted.name"],
      ["gen", "skeleton", object, "n", "x"],
      ["gen", "skeleton", object, "name", "a".repeat(80)],
      ["gen", "skeleton", object, "name", "", "name", "second"],
      ["gen", "subskeleton", object, "name", "lib"],
      ["gen", "sk", object],
      ["gen", "su", object],
      ["-j", "gen", "skeleton", object],
      ["gen", "skeleton"],
      ["-j", "gen", "skeleton"],
      ["-j", "gen", "min_core_btf", "a"],
      ["gen", "skeleton", object, "name"],
      ["gen", "skeleton", object, "foo", "bar"],
      ["gen", "skeleton", object, "name", "a", "name", "b"],
      ["-j", "gen", "skeleton", object, "name"],
      ["-L", "gen", "subskeleton", object],
      ["gen"],
      ["gen", "bogus"],
      ["gen", "help"],
      ["-j", "gen", "help"],
      ["gen", "object"],
      ["gen", "object", "out.o"],
      ["gen", "min_core_btf", "a", "b"],
    ]) {
      await same(args);
    }
  });

  it("files that are not BPF objects", async () => {
    const dir = tmp();
    const object = readFileSync(join(fixtureDir, "xdp_pass.bpf.o"));
    const files: Record<string, Uint8Array> = {
      junk: Buffer.from("not an object\n"),
      empty: new Uint8Array(0),
      "truncated-header": object.subarray(0, 40),
      truncated: object.subarray(0, object.length >> 1),
    };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const others = [dir, "/bin/sh", join(dir, "missing"), "/dev/zero", "/dev/null"];
    for (const file of [...Object.keys(files).map((n) => join(dir, n)), ...others]) {
      for (const command of ["skeleton", "subskeleton"]) {
        const r = await same(["gen", command, file]);
        expect(r.status, file).not.toBe(0);
      }
    }
  });

  it("ours: -L (light skeletons) is refused, clearly", async () => {
    const object = join(fixtureDir, "xdp_pass.bpf.o");
    const light = await ours(["-L", "gen", "skeleton", object]);
    expect(light).toEqual({
      status: 255,
      stdout: "",
      stderr: "Error: light skeletons (-L|--use-loader) are not supported yet: generate a skeleton without -L\n",
    });
  });
});

describeWith(["bpftool", "clang"], "gen skeleton / subskeleton = bpftool (global data shapes)", () => {
  it("declares every global the way libbpf's btf_dump does, padded for a 32-bit host", async () => {
    const source = join(tmp(), "skel_globals.bpf.c");
    writeFileSync(source, GLOBALS_C);
    const object = join(tmp(), "skel_globals.bpf.o");
    compileBpf(source, object, "bpfel");
    const skeleton = await same(["gen", "skeleton", object]);
    expect(skeleton.status, skeleton.stderr).toBe(0);
    expect(skeleton.stdout).toContain("struct wrap wrapped;");
    // bpftool's subskeleton quirk: a mapped data map without BTF (the string literals' .rodata.str1.1) ends it
    // at once, successfully, with nothing written.
    expect(await same(["gen", "subskeleton", object])).toMatchObject({ status: 0, stdout: "" });
    await same(["gen", "skeleton", object, "name", "other"]);
  });
});

describeWith(["bpftool", "vmlinux-btf"], "gen min_core_btf = bpftool", () => {
  const objects = ["core_task.bpf.o", "core_kernel.bpf.o", "core_subprogs.bpf.o", "xdp_pass.bpf.o"];

  /** Both tools' output files for the same inputs: the same bytes and the same report. */
  async function minimize(input: string, inputs: readonly string[]): Promise<Run> {
    const dir = tmp();
    const name = `${inputs.map((o) => o.replace(/[^a-z0-9]/gi, "")).join("-")}-${Math.random().toString(36).slice(2)}`;
    const theirsOut = join(dir, `${name}.theirs.btf`);
    const oursOut = join(dir, `${name}.ours.btf`);
    const reference = theirs(["gen", "min_core_btf", input, theirsOut, ...inputs]);
    const mine = await ours(["gen", "min_core_btf", input, oursOut, ...inputs]);
    expect(mine).toEqual(reference);
    expect(existsSync(oursOut)).toBe(existsSync(theirsOut));
    if (existsSync(theirsOut)) expect(readFileSync(oursOut).equals(readFileSync(theirsOut))).toBe(true);
    return reference;
  }

  it("the kernel's CO-RE fixtures, one at a time and together", async () => {
    const paths = objects.map((o) => join(fixtureDir, o));
    for (const object of paths) expect((await minimize(VMLINUX, [object])).status).toBe(0);
    expect((await minimize(VMLINUX, paths)).status).toBe(0);
    // The target may be an ELF object's .BTF too (the same object as target finds its own types twice).
    expect((await minimize(join(fixtureDir, "core_kernel.bpf.o"), [paths[0] as string])).status).toBe(0);
    expect((await minimize(paths[0] as string, [paths[0] as string])).status).toBe(234);
  });

  it("bad targets and objects: bpftool's messages and statuses, and no output file", async () => {
    const dir = tmp();
    const junk = join(dir, "junk");
    writeFileSync(junk, "junk");
    const rawBtf = join(dir, "raw.btf");
    writeFileSync(rawBtf, readFileSync(VMLINUX).subarray(0, 0));
    const core = join(fixtureDir, "core_task.bpf.o");
    for (const [input, inputs] of [
      [join(dir, "missing"), [core]],
      [junk, [core]],
      [VMLINUX, [join(dir, "missing")]],
      [VMLINUX, [junk]],
      [VMLINUX, ["/bin/sh"]],
      [VMLINUX, [core, junk]],
      [VMLINUX, [VMLINUX]],
      ["/dev/zero", [core]],
      [VMLINUX, ["/dev/null"]],
    ] as const) {
      expect((await minimize(input, inputs)).status, `${input} ${inputs.join(" ")}`).not.toBe(0);
    }
    const unwritable = await same(["gen", "min_core_btf", VMLINUX, join(dir, "no", "such", "dir"), core]);
    expect(unwritable.status).toBe(254);
  });
});

describeWith(["bpftool", "clang"], "gen min_core_btf = bpftool (relocations that cannot be resolved)", () => {
  it("libbpf's line for the relocation, bpftool's error, its status, and no output", async () => {
    for (const source of ["core_flavors.bpf.c", "core_layouts.bpf.c"]) {
      const target = compileFixture(source, ["TARGET"]);
      const object = join(fixtureDir, source.replace(/\.c$/, ".o"));
      const dir = tmp();
      const reference = theirs(["gen", "min_core_btf", target, join(dir, "theirs.btf"), object]);
      const mine = await ours(["gen", "min_core_btf", target, join(dir, "ours.btf"), object]);
      expect(mine, source).toEqual(reference);
      expect(reference.status, source).not.toBe(0);
      expect(existsSync(join(dir, "ours.btf"))).toBe(false);
    }
  });
});

describe("gen help", () => {
  it("lists the four commands, -L among the options", async () => {
    const r = await ours(["gen", "help"]);
    expect(r.stderr).toContain("gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]");
    expect(r.stderr).toContain("{-L|--use-loader} }");
  });
});
