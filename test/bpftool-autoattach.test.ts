// `bpftool prog load|loadall OBJ PATH autoattach` (newer bpftool's option; 7.1.0 has none, so the oracle is its
// source's semantics): each program is attached where its SEC() name says and its link pinned instead of the
// program; a program without an auto-attach target, or whose attachment fails, is pinned itself with a note. The
// pins are checked with the real bpftool 7.1.0 (`link show` of the links, ours and its output compared), and the
// pinned links' programs run after the command has exited.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { expect, it } from "vitest";
import { oursClean, same, theirsOk } from "./bpftool-oracle-support.js";
import { fixturePath } from "./loader-support.js";
import { jsonOf, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

const ATTACH = fixturePath("attach");
const AUTOATTACH = fixturePath("autoattach");
/** This kernel may have no kprobes (no CONFIG_KPROBES): the kprobe program then falls back to a program pin. */
const KPROBES = existsSync("/sys/bus/event_source/devices/kprobe/type");
const fallback = (name: string) => `Program ${name} does not support autoattach, falling back to pinning\n`;

interface LinkJson {
  id: number;
  type: string;
  prog_id: number;
  [key: string]: unknown;
}

function linkAt(path: string): LinkJson {
  return jsonOf(theirsOk(["-j", "link", "show", "pinned", path])) as LinkJson;
}

function progName(id: number): string {
  return (jsonOf(theirsOk(["-j", "prog", "show", "id", String(id)])) as { name: string }).name;
}

/** Names of the programs that have a link, machine-wide. */
function linkedProgNames(): string[] {
  const links = jsonOf(theirsOk(["-j", "link", "show"])) as LinkJson[];
  return links.flatMap((l) => {
    const run = theirs(["-j", "prog", "show", "id", String(l.prog_id)]);
    return run.status === 0 ? [(jsonOf(run) as { name: string }).name] : [];
  });
}

/** getppid(2), `n` times (libuv asks the kernel each time process.ppid is read). */
function getppid(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

describeWith(["root", "bpftool", "bpffs", "vmlinux-btf"], "bpftool prog load|loadall ... autoattach", () => {
  const pins = usePinRoot();

  it("loadall pins the links of tracepoint and raw tracepoint programs, the other programs themselves", async () => {
    const dir = `${pins()}/attach`;
    const run = await oursClean(["prog", "loadall", ATTACH, dir, "autoattach"]);
    const kprobeNote = KPROBES
      ? ""
      : "libbpf: prog 'on_unlinkat': failed to auto-attach: kprobe do_unlinkat: kprobes are not available: this " +
        "kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe); it needs CONFIG_KPROBES (and " +
        `CONFIG_KPROBE_EVENTS)\n${fallback("on_unlinkat")}`;
    // in the object's order; libbpf says nothing of a section without an attach function
    expect(run).toEqual({
      stdout: "",
      stderr: `${fallback("on_cpu_clock")}${fallback("on_egress")}${fallback("on_xdp")}${fallback("on_tcx")}${kprobeNote}`,
      status: 0,
    });
    const links = ["on_getppid", "on_getppid_alt", "on_sys_enter", ...(KPROBES ? ["on_unlinkat"] : [])];
    const programs = ["on_cpu_clock", "on_egress", "on_xdp", "on_tcx", ...(KPROBES ? [] : ["on_unlinkat"])];
    expect(readdirSync(dir).sort()).toEqual([...links, ...programs].sort());
    for (const name of links) {
      const link = linkAt(`${dir}/${name}`);
      expect(link.type, name).toBe(name === "on_sys_enter" ? "raw_tracepoint" : "perf_event");
      expect(progName(link.prog_id)).toBe(name);
    }
    for (const name of programs) {
      expect(theirs(["link", "show", "pinned", `${dir}/${name}`]).stderr).toBe("Error: incorrect object type: prog\n");
      expect((jsonOf(theirsOk(["-j", "prog", "show", "pinned", `${dir}/${name}`])) as { name: string }).name).toBe(
        name,
      );
    }
    // our `link show` of the new links is bpftool 7.1.0's: perf_event links have no fields of their own in 7.1
    for (const name of ["on_getppid", "on_sys_enter"]) {
      for (const options of [["-j"], [], ["-f"], ["-f", "-j"]]) {
        await same([...options, "link", "show", "pinned", `${dir}/${name}`]);
      }
    }
    expect(linkAt(`${dir}/on_sys_enter`).tp_name).toBe("sys_enter");
  });

  it("the pinned links' programs run after the command exits, until the pins are removed", () => {
    const dir = `${pins()}/progs`;
    const maps = `${pins()}/maps`;
    // the installed command, in a process of its own: the links outlive it
    const run = oursProcess(["prog", "loadall", AUTOATTACH, dir, "autoattach", "pinmaps", maps]);
    expect(run).toEqual({ stdout: "", stderr: fallback("pass"), status: 0 });
    const ids = ["count_tp", "count_raw_tp"].map((name) => linkAt(`${dir}/${name}`).id);
    const counts = () =>
      (jsonOf(theirsOk(["-j", "map", "dump", "pinned", `${maps}/calls`])) as { formatted: { value: number } }[]).map(
        (e) => e.formatted.value,
      );
    const before = counts();
    getppid(50);
    // every getppid on the machine counts: at least ours
    const after = counts();
    expect(after[0]! - before[0]!).toBeGreaterThanOrEqual(50);
    expect(after[1]! - before[1]!).toBeGreaterThanOrEqual(50);
    // removing the pins releases the links
    execFileSync("rm", [`${dir}/count_tp`, `${dir}/count_raw_tp`]);
    for (const id of ids) expect(theirs(["link", "show", "id", String(id)]).status).not.toBe(0);
  });

  it("load attaches the first program and pins its link at PATH; one without a target is pinned itself", async () => {
    const root = pins();
    expect(await oursClean(["-j", "prog", "load", AUTOATTACH, `${root}/tp`, "autoattach"])).toEqual({
      stdout: "null\n",
      stderr: "",
      status: 0,
    });
    expect(progName(linkAt(`${root}/tp`).prog_id)).toBe("count_tp");
    // with -j the note is not printed (p_info)
    const xdp = fixturePath("xdp_pass");
    expect(await oursClean(["-j", "prog", "load", xdp, `${root}/xdp`, "autoattach"])).toEqual({
      stdout: "null\n",
      stderr: "",
      status: 0,
    });
    expect(await oursClean(["prog", "load", xdp, `${root}/xdp2`, "autoattach"])).toEqual({
      stdout: "",
      stderr: fallback("xdp_pass"),
      status: 0,
    });
    expect((jsonOf(theirsOk(["-j", "prog", "show", "pinned", `${root}/xdp`])) as { name: string }).name).toBe(
      "xdp_pass",
    );
    expect(readdirSync(root).sort()).toEqual(["tp", "xdp", "xdp2"]);
  });

  it("a link that cannot be pinned fails as bpftool's program pin does, and leaves no link and no pin", async () => {
    const root = pins();
    mkdirSync(`${root}/taken`);
    // bpftool 7.1.0 fails the same way pinning the program (EEXIST) without autoattach
    const theirsRun = theirs(["prog", "load", AUTOATTACH, `${root}/taken`]);
    expect(theirsRun.stderr).toMatch(/^Error: failed to pin program tracepoint\/syscalls\/sys_enter_getppid\n/);
    expect(await oursClean(["prog", "load", AUTOATTACH, `${root}/taken`, "autoattach"])).toEqual(theirsRun);
    // loadall: the second link's path is taken, the first link's pin is removed again
    mkdirSync(`${root}/dir/count_raw_tp`, { recursive: true });
    const run = await oursClean(["prog", "loadall", AUTOATTACH, `${root}/dir`, "autoattach"]);
    expect(run.status).toBe(255);
    expect(run.stderr).toMatch(/^Error: failed to pin all programs\nWarning: bpftool is now running in libbpf strict/);
    expect(readdirSync(`${root}/dir`)).toEqual(["count_raw_tp"]);
    expect(linkedProgNames()).not.toContain("count_tp");
    expect(linkedProgNames()).not.toContain("count_raw_tp");
  });
});
