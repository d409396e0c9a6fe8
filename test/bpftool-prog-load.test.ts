// `bpftool prog load|loadall|pin` against the real bpftool 7.1.0: both tools load the same object under the test's
// bpffs directory, and the programs and maps they leave are compared (`prog show -j` fields that do not depend on
// the load, xlated code with map ids normalized, `map show`/`map dump` of the pinned maps). Failures print
// bpftool's error and status and leave no pin and no descriptor.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { oursClean, same, theirsOk } from "./bpftool-oracle-support.js";
import {
  compile,
  fixture,
  loadInvariant,
  normalizeXlated,
  progAt,
  sameError,
  samePaired,
} from "./bpftool-prog-support.js";
import { jsonOf, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

interface MapJson {
  id: number;
  name: string;
  flags: number;
  [key: string]: unknown;
}

/** `map show -j` without what differs between two creations of one map. */
function mapInvariant(path: string): Record<string, unknown> {
  const { id: _id, btf_id: _btf, ...rest } = jsonOf(theirsOk(["-j", "map", "show", "pinned", path])) as MapJson;
  return rest;
}

/** A directory that is not on bpffs: the commands refuse it (both tools create it first, so it is removed after). */
const NOT_BPFFS = join(tmpdir(), `bpfkit-not-bpffs-prog-${process.pid}`);
afterAll(() => rmSync(NOT_BPFFS, { recursive: true, force: true }));

describeWith(["root", "bpftool", "bpffs", "clang"], "bpftool prog load/loadall/pin against bpftool 7.1.0", () => {
  const pinRoot = usePinRoot();
  let work = "";
  const objects: Record<string, string> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "bpfkit-prog-load-"));
    for (const name of ["static_ro", "unknown_sec", "meta"]) objects[name] = compile(work, name);
    objects.xdp_parse = fixture("xdp_parse");
    objects.globals = fixture("globals");
    objects.subprogs = fixture("subprogs");
    objects.core_task = fixture("core_task");
    objects.verifier_reject = fixture("verifier_reject");
    const bytes = readFileSync(fixture("xdp_pass"));
    writeFileSync(join(work, "truncated.bpf.o"), bytes.subarray(0, 1000));
    writeFileSync(join(work, "not-bpf.o"), "hello\n");
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Loads `object` with both tools (`loadall`, maps pinned too) under `ours*` and `theirs*`; returns the root. */
  async function loadBoth(object: string, extra: string[] = []): Promise<string> {
    const dir = pinRoot();
    const a = await oursClean([
      "-j",
      "prog",
      "loadall",
      object,
      `${dir}/ours`,
      "pinmaps",
      `${dir}/ours_maps`,
      ...extra,
    ]);
    expect(a).toEqual({ stdout: "null\n", stderr: "", status: 0 });
    theirsOk(["prog", "loadall", object, `${dir}/theirs`, "pinmaps", `${dir}/theirs_maps`, ...extra]);
    return dir;
  }

  it("loadall pins every program by function name and every map, as bpftool does", async () => {
    for (const name of ["xdp_parse", "globals", "subprogs", "core_task", "meta", "static_ro"]) {
      const dir = await loadBoth(objects[name] as string);
      const progs = readdirSync(`${dir}/theirs`).sort();
      expect(readdirSync(`${dir}/ours`).sort(), name).toEqual(progs);
      for (const prog of progs) {
        const ours = progAt(`${dir}/ours/${prog}`);
        const theirs = progAt(`${dir}/theirs/${prog}`);
        expect(loadInvariant(ours), `${name}/${prog}`).toEqual(loadInvariant(theirs));
        const dump = (path: string) => normalizeXlated(theirsOk(["prog", "dump", "xlated", "pinned", path]).stdout);
        expect(dump(`${dir}/ours/${prog}`)).toBe(dump(`${dir}/theirs/${prog}`));
      }
      const maps = existsSync(`${dir}/theirs_maps`) ? readdirSync(`${dir}/theirs_maps`).sort() : [];
      expect(existsSync(`${dir}/ours_maps`) ? readdirSync(`${dir}/ours_maps`).sort() : [], name).toEqual(maps);
      for (const map of maps) {
        expect(mapInvariant(`${dir}/ours_maps/${map}`), `${name} map ${map}`).toEqual(
          mapInvariant(`${dir}/theirs_maps/${map}`),
        );
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
  });

  it("creates global data maps as 7.1.0 does: .rodata of static data mmapable, no syscall wrapper seen", async () => {
    const dir = await loadBoth(objects.static_ro as string);
    const rodata = mapInvariant(`${dir}/ours_maps/static_r_rodata`);
    expect(rodata.flags).toBe(0x480); // libbpf 1.2+ would create it without BPF_F_MMAPABLE (0x80)
    const dump = (path: string) => theirsOk(["-j", "map", "dump", "pinned", path]).stdout;
    // LINUX_HAS_SYSCALL_WRAPPER is 0 here: libbpf 1.1 probes it with a kprobe, and this kernel has none
    expect(dump(`${dir}/ours_maps/static__kconfig`)).toBe(dump(`${dir}/theirs_maps/static__kconfig`));
    expect(dump(`${dir}/ours_maps/static_r_rodata`)).toBe(dump(`${dir}/theirs_maps/static_r_rodata`));
  });

  it("load pins the first program only; the others are loaded and released", async () => {
    const dir = pinRoot();
    await samePaired((side) => ["prog", "load", objects.xdp_parse as string, `${dir}/${side}`]);
    expect(loadInvariant(progAt(`${dir}/p-ours`))).toEqual(loadInvariant(progAt(`${dir}/p-theirs`)));
    expect(progAt(`${dir}/p-ours`).name).toBe("xdp_parse");
    expect(readdirSync(dir).sort()).toEqual(["p-ours", "p-theirs"]);
  });

  it("type TYPE loads a section libbpf does not know; map idx/name reuses a map", async () => {
    const dir = pinRoot();
    await sameError(["prog", "load", objects.unknown_sec as string, `${dir}/x`]);
    expect(readdirSync(dir)).toEqual([]);
    await samePaired((side) => ["-j", "prog", "load", objects.unknown_sec as string, `${dir}/${side}`, "type", "xdp"]);
    expect(loadInvariant(progAt(`${dir}/p-ours`))).toEqual(loadInvariant(progAt(`${dir}/p-theirs`)));
    expect(progAt(`${dir}/p-ours`).type).toBe("xdp");
    // one map shared by two loads: by name, and by index (proto_count is map 0)
    theirsOk(["prog", "loadall", objects.xdp_parse as string, `${dir}/first`, "pinmaps", `${dir}/first_maps`]);
    const shared = (jsonOf(theirsOk(["-j", "map", "show", "pinned", `${dir}/first_maps/proto_count`])) as MapJson).id;
    const first = `${dir}/first_maps/proto_count`;
    const xdp = objects.xdp_parse as string;
    await samePaired((s) => [
      "prog",
      "loadall",
      xdp,
      `${dir}/${s}_name`,
      "map",
      "name",
      "proto_count",
      "pinned",
      first,
    ]);
    await samePaired((s) => ["prog", "loadall", xdp, `${dir}/${s}_idx`, "map", "idx", "0", "id", String(shared)]);
    for (const sub of ["p-ours_name", "p-ours_idx", "p-theirs_idx"]) {
      expect(progAt(`${dir}/${sub}/xdp_parse`).map_ids).toContain(shared);
    }
    expect(loadInvariant(progAt(`${dir}/p-ours_idx/xdp_parse`))).toEqual(
      loadInvariant(progAt(`${dir}/p-theirs_idx/xdp_parse`)),
    );
  });

  it("fails like bpftool and leaves nothing pinned", async () => {
    const dir = pinRoot();
    const o = (name: string) => objects[name] as string;
    const cases: string[][] = [
      ["prog", "loadall", join(work, "not-bpf.o"), `${dir}/x`],
      ["prog", "loadall", join(work, "truncated.bpf.o"), `${dir}/x`],
      ["prog", "loadall", join(work, "missing.bpf.o"), `${dir}/x`],
      ["prog", "loadall", o("verifier_reject"), `${dir}/x`],
      // what the kernel 6.1 tree's libbpf refuses: legacy maps, custom .bss sections, .struct_ops.link
      ["prog", "loadall", fixture("legacy_maps"), `${dir}/x`],
      ["prog", "loadall", fixture("bss_custom"), `${dir}/x`],
      ["prog", "loadall", fixture("struct_ops_link"), `${dir}/x`],
      ["prog", "load", o("unknown_sec"), `${dir}/x`],
      ["prog", "load", o("unknown_sec"), `${dir}/x`, "type", "nosuchtype"],
      ["prog", "load", o("unknown_sec"), `${dir}/x`, "type", "xdp", "type", "xdp"],
      ["prog", "load", o("xdp_parse")],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "bogus"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "map"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "map", "foo", "0", "id", "1"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "map", "idx", "x0", "id", "1"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "map", "idx", "0", "id", "4294967295"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "pinmaps"],
      ["prog", "load", o("xdp_parse"), `${dir}/x`, "dev", "no_such_netdev"],
      ["prog", "loadall", o("xdp_parse"), `${dir}/x`, "pinmaps", NOT_BPFFS],
      ["-n", "prog", "load", o("xdp_parse"), join(work, "x")],
    ];
    for (const mode of [[], ["-j"]]) {
      for (const args of cases) {
        await sameError([...mode, ...args]);
        // a failed load leaves no pin (libbpf may leave the directory it made for the pins)
        const left = existsSync(`${dir}/x`) ? readdirSync(`${dir}/x`) : [];
        expect(left, args.join(" ")).toEqual([]);
        rmSync(`${dir}/x`, { recursive: true, force: true });
      }
    }
    // a path that exists: libbpf's EEXIST, and the pins made before it are removed
    theirsOk(["prog", "loadall", o("xdp_parse"), `${dir}/progs`]);
    mkdirSync(`${dir}/clash`);
    theirsOk(["prog", "pin", "pinned", `${dir}/progs/xdp_parse`, `${dir}/clash/tc_count`]);
    await sameError(["prog", "loadall", o("xdp_parse"), `${dir}/clash`]);
    expect(readdirSync(`${dir}/clash`)).toEqual(["tc_count"]);
    await sameError(["prog", "load", o("xdp_parse"), `${dir}/clash/tc_count`]);
    // maps that cannot all be pinned: the programs pinned before are removed too
    await sameError(["prog", "loadall", o("xdp_parse"), `${dir}/x`, "pinmaps", `${dir}/clash/tc_count/m`]);
    expect(existsSync(`${dir}/x`) ? readdirSync(`${dir}/x`) : []).toEqual([]);
    // a map directory that cannot be made: libbpf's warning names the map's path (stderr compared whole)
    await same(["prog", "loadall", o("xdp_parse"), `${dir}/x`, "pinmaps", `${dir}/no/such/maps`]);
    expect(existsSync(`${dir}/x`) ? readdirSync(`${dir}/x`) : []).toEqual([]);
  });

  it("pin: a new path, an existing one (exit status 239), -n outside bpffs", async () => {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", objects.xdp_parse as string, `${dir}/progs`]);
    await samePaired((side) => ["-j", "prog", "pin", "pinned", `${dir}/progs/xdp_parse`, `${dir}/${side}`]);
    expect(progAt(`${dir}/p-ours`).name).toBe("xdp_parse");
    const exists = await samePaired((side) => ["prog", "pin", "pinned", `${dir}/progs/xdp_parse`, `${dir}/${side}`]);
    expect(exists.status).toBe(239);
    await same(["prog", "pin", "pinned", `${dir}/progs/xdp_parse`]);
    await same(["-n", "prog", "pin", "pinned", `${dir}/progs/xdp_parse`, join(work, "x")]);
    await same(["prog", "pin", "pinned", `${dir}/progs/xdp_parse`, `${dir}/no/such/dir/x`]);
    await same(["prog", "pin", "name", "no_such_program", `${dir}/y`]);
  });

  it("pin mounts a bpffs on a directory that has none, as bpftool does", async () => {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", objects.xdp_parse as string, `${dir}/progs`]);
    const mnt = mkdtempSync(join(tmpdir(), "bpfkit-prog-mount-"));
    try {
      const run = oursProcess(["prog", "pin", "pinned", `${dir}/progs/tc_count`, `${mnt}/pinned`]);
      expect(run).toEqual({ stdout: "", stderr: "", status: 0 });
      expect(progAt(`${mnt}/pinned`).name).toBe("tc_count");
    } finally {
      // bpftool's mnt_fs made the directory a (bind) mount point, then mounted bpffs on it: two mounts to undo
      execFileSync("umount", [mnt]);
      execFileSync("umount", [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it("prints the loader's CO-RE trace and the verifier logs with -d, as libbpf's debug lines", async () => {
    const dir = pinRoot();
    const run = await oursClean(["-d", "prog", "loadall", objects.xdp_parse as string, `${dir}/x`]);
    expect(run.status).toBe(0);
    const theirsTrace = theirs(["-d", "prog", "loadall", objects.xdp_parse as string, `${dir}/y`])
      .stderr.split("\n")
      .filter((l) => /prog '[^']+': relo #\d+: /.test(l));
    const oursTrace = run.stderr.split("\n").filter((l) => /prog '[^']+': relo #\d+: /.test(l));
    expect(oursTrace.length).toBeGreaterThan(0);
    expect(oursTrace).toEqual(theirsTrace);
    // and each program's verifier log (bpftool -d loads with log level 1 + 2 + 4)
    expect(run.stderr).toContain("libbpf: prog 'xdp_parse': -- BEGIN PROG LOAD LOG --\n");
    expect(run.stderr).toMatch(/processed \d+ insns \(limit \d+\)/);
  });
});
