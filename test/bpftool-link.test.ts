// `bpftool link show|list|pin|detach`: ours against bpftool 7.1.0 on the same links, one of each type 7.1 prints
// details for that this kernel lets us make (cgroup, raw_tracepoint, netns), made by the kernel backend in this
// process. JSON and plain text byte for byte, pins with -f, and the errors of bad LINK specs.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeLinks, type TestLinks } from "./bpftool-links-support.js";
import { same } from "./bpftool-oracle-support.js";
import { jsonOf, ours, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

describeWith(["root", "bpftool", "bpffs", "cgroup2", "vmlinux-btf"], "bpftool link vs bpftool 7.1.0", () => {
  let t: TestLinks;
  const pinRoot = usePinRoot();
  beforeAll(() => {
    t = makeLinks("link");
  });
  afterAll(() => t?.close());

  it("shows each link by id: JSON, pretty JSON and plain text identical, per-type fields present", async () => {
    for (const [what, id] of Object.entries(t.ids)) {
      const json = await same(["-j", "link", "show", "id", String(id)]);
      await same(["-p", "link", "show", "id", String(id)]);
      await same(["link", "show", "id", String(id)]);
      await same(["link", "list", "id", String(id)]);
      expect(jsonOf(json), what).toMatchObject({ id, prog_id: expect.any(Number) });
    }
    const shown = async (id: number) => jsonOf(await ours(["-j", "link", "show", "id", String(id)]));
    expect(await shown(t.ids.cgroup)).toMatchObject({ type: "cgroup", attach_type: "cgroup_inet_egress" });
    expect(await shown(t.ids.rawTracepoint)).toMatchObject({ type: "raw_tracepoint", tp_name: "sched_process_free" });
    expect(await shown(t.ids.netns)).toMatchObject({ type: "netns", attach_type: "sk_lookup" });
  });

  it("lists every link: our links appear in both listings with the same text", async () => {
    const ids = new Set(Object.values(t.ids));
    const mine = (list: unknown) => (list as { id: number }[]).filter((l) => ids.has(l.id));
    const [a, b] = [await ours(["-j", "link", "show"]), theirs(["-j", "link", "show"])];
    expect(a.status).toBe(0);
    expect(mine(jsonOf(a))).toEqual(mine(jsonOf(b)));
    expect(mine(jsonOf(a))).toHaveLength(ids.size);
    // plain: one entry per link, starting "ID: "; compare ours entry by entry
    const entries = (text: string) =>
      text.split(/\n(?=\d+: )/).filter((e) => ids.has(Number(e.slice(0, e.indexOf(":")))));
    const [pa, pb] = [await ours(["link"]), theirs(["link"])];
    expect(entries(pa.stdout).map((e) => e.trimEnd())).toEqual(entries(pb.stdout).map((e) => e.trimEnd()));
  });

  it("pins a link (ours), both show the pin with -f; theirs pins, ours shows it", async () => {
    const id = String(t.ids.rawTracepoint);
    const path = `${pinRoot()}/by-ours`;
    expect(await ours(["-j", "link", "pin", "id", id, path])).toEqual({ stdout: "null\n", stderr: "", status: 0 });
    expect(existsSync(path)).toBe(true);
    await same(["-f", "-j", "link", "show", "id", id]);
    await same(["-f", "link", "show", "id", id]);
    await same(["-j", "link", "show", "pinned", path]);
    const second = `${pinRoot()}/by-theirs`;
    expect(theirs(["link", "pin", "pinned", path, second]).status).toBe(0);
    const shown = jsonOf(await same(["-f", "-j", "link", "show", "id", id])) as { pinned: string[] };
    expect(new Set(shown.pinned)).toEqual(new Set([path, second]));
    await same(["-f", "-p", "link", "show", "pinned", second]);
    // not a link, missing, not on bpffs
    await same(["link", "pin", "pinned", `${pinRoot()}/nope`, `${pinRoot()}/x`]);
    await same(["-j", "link", "show", "pinned", "/sys/fs/bpf"]);
    await same(["link", "show", "pinned", "/sys"]);
  });

  it("detaches a link: both show what is left of it", async () => {
    const id = String(t.ids.cgroup);
    const before = await same(["-j", "link", "show", "id", id]);
    expect(await ours(["-j", "link", "detach", "id", id])).toEqual({ stdout: "null\n", stderr: "", status: 0 });
    const after = await same(["-j", "link", "show", "id", id]);
    expect(after.stdout).not.toBe(before.stdout);
    await same(["link", "show", "id", id]);
    // a second detach fails the same way in both (exit 1)
    await same(["link", "detach", "id", id]);
    await same(["-j", "link", "detach", "id", id]);
  });

  it("bad LINK specs and arguments: the same messages and exit codes", async () => {
    const cases = [
      ["link", "pin"],
      ["link", "pin", "id"],
      ["link", "pin", "id", "1"],
      ["link", "pin", "id", "x", "/sys/fs/bpf/x"],
      ["link", "pin", "id", "4000000000", "/sys/fs/bpf/x"],
      ["link", "pin", "foo", "1", "/sys/fs/bpf/x"],
      ["link", "pin", "pinned", "/nonexistent", "/sys/fs/bpf/x"],
      ["link", "detach"],
      ["link", "detach", "id"],
      ["link", "detach", "id", "0x7fffffff"],
      ["link", "detach", "foo", "bar"],
      ["link", "detach", "id", "1", "2"],
      ["link", "show", "id"],
      ["link", "show", "foo", "bar"],
      ["link", "show", "id", "0x7fffffff"],
      ["link", "show", "id", "1", "2"],
      ["link", "show", "id", "12abc"],
      ["link", "help"],
      ["link", "bogus"],
    ];
    for (const args of cases) {
      await same(args);
      await same(["-j", ...args]);
    }
  });

  it("the installed bin gives the same exit statuses", () => {
    for (const args of [
      ["link", "show", "id", "0x7fffffff"],
      ["link", "detach", "id", "0x7fffffff"],
      ["link", "pin", "id"],
    ]) {
      expect(oursProcess(args)).toEqual(theirs(args));
    }
  });
});
