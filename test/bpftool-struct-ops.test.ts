// `bpftool struct_ops show|list|dump|register|unregister`: ours against bpftool 7.1.0 on the fixture's TCP
// congestion control "bpfkit_cc" (test/fixtures/struct_ops.bpf.c), registered by one tool and shown, dumped and
// unregistered by both. The name can be registered once per machine: the suite holds the machine lock.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { same } from "./bpftool-oracle-support.js";
import { jsonOf, ours, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith, useMachineLock } from "./support/env.js";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const OBJ = fixture("struct_ops.bpf.o");

interface Shown {
  id: number;
  name: string;
  kernel_struct_ops: string;
}

const congestionControls = () =>
  readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/);

/** Struct_ops maps named bpfkit_cc, by bpftool. */
const registered = () =>
  (jsonOf(theirs(["-j", "struct_ops", "show"])) as Shown[]).filter((s) => s.name === "bpfkit_cc");

/** A freed struct_ops map goes after an RCU grace period: poll a little. */
function eventually(check: () => boolean): boolean {
  for (let i = 0; i < 100; i++) {
    if (check()) return true;
    execFileSync("sleep", ["0.02"]);
  }
  return check();
}

describeWith(["root", "bpftool", "bpffs", "vmlinux-btf"], "bpftool struct_ops vs bpftool 7.1.0", () => {
  useMachineLock("struct_ops-bpfkit_cc");

  it("shows and dumps a congestion control bpftool registered; ours unregisters it", async () => {
    expect(eventually(() => registered().length === 0)).toBe(true);
    const reg = theirs(["struct_ops", "register", OBJ]);
    expect(reg.status).toBe(0);
    try {
      const [map] = registered();
      expect(map).toMatchObject({ name: "bpfkit_cc", kernel_struct_ops: "tcp_congestion_ops" });
      const id = String(map?.id);
      for (const opts of [[], ["-j"], ["-p"]]) {
        await same([...opts, "struct_ops", "show", "id", id]);
        await same([...opts, "struct_ops", "list", "name", "bpfkit_cc"]);
        await same([...opts, "struct_ops", "dump", "id", id]);
        await same([...opts, "struct_ops", "dump", "name", "bpfkit_cc"]);
        await same([...opts, "struct_ops", "show"]);
        await same([...opts, "struct_ops", "dump"]);
      }
      const dumped = (await ours(["-j", "struct_ops", "dump", "name", "bpfkit_cc"])).stdout;
      expect(dumped).toContain('"bpf_struct_ops_tcp_congestion_ops":');
      expect(dumped).toMatch(/"init":"void \(struct sock \*\) bpfkit_cc_init\/prog_id:\d+"/);
      expect(congestionControls()).toContain("bpfkit_cc");
      const off = await ours(["struct_ops", "unregister", "name", "bpfkit_cc"]);
      expect(off).toEqual({ stdout: "", stderr: `Unregistered tcp_congestion_ops bpfkit_cc id ${id}\n`, status: 0 });
      expect(congestionControls()).not.toContain("bpfkit_cc");
    } finally {
      theirs(["struct_ops", "unregister", "name", "bpfkit_cc"]);
    }
    expect(eventually(() => registered().length === 0)).toBe(true);
  });

  it("registers with ours (the registration outlives our process); bpftool sees it and unregisters it", async () => {
    const reg = oursProcess(["struct_ops", "register", OBJ]);
    try {
      expect(reg.status).toBe(0);
      const [map] = registered();
      expect(map).toBeDefined();
      expect(reg).toEqual({
        stdout: "",
        stderr: `Registered tcp_congestion_ops bpfkit_cc id ${map?.id}\n`,
        status: 0,
      });
      expect(congestionControls()).toContain("bpfkit_cc");
      // the same value as bpftool's registration gives, program ids aside
      const dump = jsonOf(await ours(["-j", "struct_ops", "dump", "name", "bpfkit_cc"])) as Record<string, unknown>[];
      const value = dump[1]?.bpf_struct_ops_tcp_congestion_ops as { common: { state: string } };
      expect(value.common.state).toBe("BPF_STRUCT_OPS_STATE_INUSE");
      // a second registration of the same name fails in both
      const again = await ours(["-j", "struct_ops", "register", OBJ]);
      const theirsAgain = theirs(["-j", "struct_ops", "register", OBJ]);
      expect(again).toEqual(theirsAgain);
      expect(again.status).toBe(255);
      expect(theirs(["struct_ops", "unregister", "id", String(map?.id)]).status).toBe(0);
    } finally {
      theirs(["struct_ops", "unregister", "name", "bpfkit_cc"]);
    }
    expect(eventually(() => registered().length === 0)).toBe(true);
    // with -j: `null`, and the note is not printed
    const quiet = await ours(["-j", "struct_ops", "register", OBJ]);
    try {
      expect(quiet).toEqual({ stdout: "null\n", stderr: "", status: 0 });
    } finally {
      await ours(["struct_ops", "unregister", "name", "bpfkit_cc"]);
    }
    expect(eventually(() => registered().length === 0)).toBe(true);
  });

  it("errors: the same messages and statuses", async () => {
    const mapPin = theirs(["-j", "map", "show"]);
    const someMap = (jsonOf(mapPin) as { id: number; type: string }[]).find((m) => m.type !== "struct_ops");
    const cases = [
      ["struct_ops", "show", "name", "nope"],
      ["struct_ops", "show", "id", "0"],
      ["struct_ops", "show", "id", "x"],
      ["struct_ops", "show", "id", "4294967296"],
      ["struct_ops", "show", "id", "0x7ffffff0"],
      ["struct_ops", "show", "foo", "bar"],
      ["struct_ops", "show", "id"],
      ["struct_ops", "dump", "name", "nope"],
      ["struct_ops", "dump", "id", "x"],
      ["struct_ops", "dump", "foo", "bar"],
      ["struct_ops", "unregister"],
      ["struct_ops", "unregister", "name", "nope"],
      ["struct_ops", "unregister", "id", "0x7ffffff0"],
      ["struct_ops", "register"],
      ["struct_ops", "register", "a", "b"],
      ["struct_ops", "register", "/nonexistent.o"],
      ["struct_ops", "register", fixture("xdp_pass.bpf.o")],
      ["struct_ops", "help"],
      ["struct_ops", "bogus"],
    ];
    if (someMap) cases.push(["struct_ops", "show", "id", String(someMap.id)]);
    for (const args of cases) {
      await same(args);
      await same(["-j", ...args]);
    }
  });
});
