// `bpftool cgroup show|tree|attach|detach`: ours against bpftool 7.1.0 on a cgroup tree this test makes under the
// cgroup2 mount (no process lives in it): a program linked, programs attached with override and multi flags,
// a child that inherits them (effective). Attachments made by ours are shown by theirs and the other way round.
import { mkdirSync, rmdirSync } from "node:fs";
import { AttachType, encodeInstructions, exit, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestCgroup } from "./bpftool-links-support.js";
import { same } from "./bpftool-oracle-support.js";
import { jsonOf, ours, type Run, theirs } from "./support/bpftool.js";
import { cgroup2Mount, describeWith, usePinRoot } from "./support/env.js";

describeWith(["root", "bpftool", "bpffs", "cgroup2"], "bpftool cgroup vs bpftool 7.1.0", () => {
  let backend: KernelBackend;
  let cg: TestCgroup;
  let child: string;
  let grandchild: string;
  const progs: Record<string, Fd> = {};
  const pinRoot = usePinRoot();

  beforeAll(() => {
    backend = new KernelBackend();
    cg = new TestCgroup(`bpfkit-cgroup-${process.pid}`);
    child = `${cg.path}/child`;
    grandchild = `${child}/leaf`;
    mkdirSync(child);
    mkdirSync(grandchild);
    const load = (name: string, progType: number, expectedAttachType: number) =>
      backend.loadProgram({
        progType,
        expectedAttachType,
        insns: encodeInstructions([mov64Imm(R0, 1), exit()], "little"),
        license: "GPL",
        name,
      }).fd;
    progs.linked = load("cg_linked", ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS);
    progs.ingress = load("cg_ingress", ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS);
    progs.sockA = load("cg_sock_a", ProgType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE);
    progs.sockB = load("a_long_program_name_of_a_sock", ProgType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE);
    progs.dev = load("cg_dev", ProgType.CGROUP_DEVICE, AttachType.CGROUP_DEVICE);
    backend.createLink({ prog: progs.linked, target: cg.fd, attachType: AttachType.CGROUP_INET_EGRESS });
  });
  afterAll(() => {
    backend?.close();
    for (const dir of [grandchild, child]) {
      try {
        rmdirSync(dir);
      } catch {}
    }
    cg?.close();
  });
  const pin = (name: string) => {
    const path = `${pinRoot()}/${name}`;
    backend.pin(progs[name] as Fd, path);
    return path;
  };
  const showAll = async (path: string) => {
    for (const opts of [[], ["-j"], ["-p"]]) {
      await same([...opts, "cgroup", "show", path]);
      await same([...opts, "cgroup", "show", path, "effective"]);
      await same([...opts, "cgroup", "tree", cg.path]);
      await same([...opts, "cgroup", "tree", cg.path, "effective"]);
      await same([...opts, "cgroup", "tree", `${cg.path}//`]);
    }
  };

  it("shows a cgroup with nothing attached the same way (nothing at all)", async () => {
    const a = await same(["-j", "cgroup", "show", grandchild]);
    expect(a.stdout).toBe("\n");
    await same(["cgroup", "show", grandchild]);
    await same(["cgroup", "list", grandchild, "effective"]);
  });

  it("attaches with ours (override, multi), shows the same in both, detaches with theirs", async () => {
    const ingress = pin("ingress");
    expect(await ours(["-j", "cgroup", "attach", cg.path, "ingress", "pinned", ingress, "override"])).toEqual({
      stdout: "null\n",
      stderr: "",
      status: 0,
    });
    expect(
      await ours(["cgroup", "attach", cg.path, "cgroup_inet_sock_create", "pinned", pin("sockA"), "multi"]),
    ).toEqual({
      stdout: "",
      stderr: "",
      status: 0,
    });
    expect(theirs(["cgroup", "attach", cg.path, "sock_create", "pinned", pin("sockB"), "multi"]).status).toBe(0);
    expect(theirs(["cgroup", "attach", child, "device", "pinned", pin("dev")]).status).toBe(0);
    await showAll(cg.path);
    await showAll(child);
    await showAll(grandchild);
    const shown = jsonOf(await ours(["-j", "cgroup", "show", cg.path])) as Record<string, unknown>[];
    expect(shown.map((p) => [p.attach_type, p.attach_flags, p.name])).toEqual([
      ["cgroup_inet_ingress", "override", "cg_ingress"],
      ["cgroup_inet_egress", "multi", "cg_linked"],
      ["cgroup_inet_sock_create", "multi", "cg_sock_a"],
      ["cgroup_inet_sock_create", "multi", "a_long_program_"], // no BTF: the kernel's 15 bytes
    ]);
    const effective = jsonOf(await ours(["-j", "cgroup", "show", grandchild, "effective"])) as unknown[];
    expect(effective).toHaveLength(5);

    // theirs detaches what ours attached, ours what theirs attached
    expect(theirs(["cgroup", "detach", cg.path, "cgroup_inet_ingress", "pinned", ingress]).status).toBe(0);
    expect(await ours(["-j", "cgroup", "detach", child, "dev", "pinned", `${pinRoot()}/dev`])).toMatchObject({
      stdout: "null\n",
      status: 0,
    });
    await showAll(cg.path);
    await showAll(child);
    await same(["cgroup", "detach", child, "device", "pinned", `${pinRoot()}/dev`]);
    await same(["-j", "cgroup", "detach", child, "device", "pinned", `${pinRoot()}/dev`]);
    // our tree entries within the whole hierarchy (other cgroups may change meanwhile: only ours are compared)
    const mine = (run: Run) => (jsonOf(run) as { cgroup: string }[]).filter((c) => c.cgroup.startsWith(cg.path));
    expect(mine(await ours(["-j", "cgroup", "tree"]))).toEqual(mine(theirs(["-j", "cgroup", "tree"])));
    expect(mine(await ours(["-j", "cgroup", "tree", `${cgroup2Mount()}`]))).toHaveLength(1);
  });

  it("errors: the same messages and statuses", async () => {
    const prog = pin("sockA");
    const cases = [
      ["cgroup", "show"],
      ["cgroup", "show", "/nonexistent"],
      ["cgroup", "show", cg.path, "effective", "effective"],
      ["cgroup", "show", cg.path, "bogus"],
      ["cgroup", "show", "/proc/self/status"],
      ["cgroup", "tree", "/nonexistent"],
      ["cgroup", "tree", cg.path, "e", "e"],
      ["cgroup", "tree", cg.path, "x"],
      ["cgroup", "attach"],
      ["cgroup", "attach", cg.path, "ingress", "pinned"],
      ["cgroup", "attach", "/nonexistent", "ingress", "pinned", prog],
      ["cgroup", "attach", cg.path, "bogus_type", "pinned", prog],
      ["cgroup", "attach", cg.path, "ingress", "pinned", prog, "sideways"],
      ["cgroup", "attach", cg.path, "ingress", "id", "0x7ffffff0"],
      ["cgroup", "attach", cg.path, "ingress", "pinned", `${pinRoot()}/none`],
      ["cgroup", "detach", cg.path, "egress"],
      ["cgroup", "detach", cg.path, "egress", "pinned", prog],
      ["cgroup", "help"],
      ["cgroup", "bogus"],
    ];
    for (const args of cases) {
      await same(args);
      await same(["-j", ...args]);
    }
  });
});
