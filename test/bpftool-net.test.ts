// `bpftool net show|list|attach|detach`: ours against bpftool 7.1.0, both run inside a network namespace this test
// makes (`ip netns exec`, so each sees the namespace's devices; traffic never leaves it): a veth pair with XDP
// programs attached by each tool, tc BPF filters on a clsact qdisc and under an htb qdisc and class, a flow
// dissector. On the machine's own namespace only what is there is compared (we attach nothing there).
import { execFileSync, spawnSync } from "node:child_process";
import { encodeInstructions, exit, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestNetns } from "./bpftool-links-support.js";
import { BPFTOOL_BIN, jsonOf, ours, type Run, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

describeWith(["root", "bpftool", "bpffs"], "bpftool net vs bpftool 7.1.0", () => {
  describe("in this machine's namespace", () => {
    it("shows the same (nothing attached by us), and the same errors", async () => {
      for (const args of [
        ["net"],
        ["-j", "net", "show"],
        ["-p", "net", "list"],
        ["net", "show", "dev", "lo"],
        ["-j", "net", "show", "dev", "lo"],
        ["net", "show", "dev", "nosuchdev"],
        ["-j", "net", "show", "dev", "nosuchdev"],
        ["net", "show", "foo", "bar"],
        ["net", "show", "dev"],
        ["-j", "net", "show", "dev"],
        ["net", "show", "dev", "lo", "x"],
        ["net", "attach"],
        ["net", "attach", "xdp"],
        ["net", "attach", "bogus", "id", "1", "dev", "lo"],
        ["net", "attach", "xdp", "id", "0x7ffffff0", "dev", "lo"],
        ["net", "detach"],
        ["net", "detach", "xdp", "dev", "nosuchdev"],
        ["net", "detach", "xdp", "foo", "lo"],
        ["-j", "net", "detach", "xdpg", "dev", "nosuchdev"],
        ["net", "help"],
        ["-j", "net", "help"],
        ["net", "bogus"],
      ]) {
        expect({ args, ...(await ours(args)) }).toEqual({ args, ...theirs(args) });
      }
    });
  });

  describe("in a network namespace with XDP, tc and flow dissector programs", () => {
    let backend: KernelBackend;
    let netns: TestNetns;
    const ids: Record<string, number> = {};
    let tcProg: Fd;
    const pinRoot = usePinRoot();

    /** A command line run by both tools inside the namespace. */
    const inNetns = (bin: string, args: readonly string[]): Run => {
      const r = spawnSync("ip", ["netns", "exec", netns.name, bin, ...args], { encoding: "utf8" });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 255 };
    };
    const both = (args: string[]) => {
      const a = inNetns(BPFTOOL_BIN, args);
      const b = inNetns("bpftool", args);
      expect({ args, ...a }).toEqual({ args, ...b });
      return a;
    };
    /** tc in the namespace without remounting /sys, so the pinned programs stay visible. */
    const tc = (...args: string[]) => execFileSync("nsenter", [`--net=/var/run/netns/${netns.name}`, "tc", ...args]);

    beforeAll(() => {
      backend = new KernelBackend();
      netns = new TestNetns(`bpfkit-net-${process.pid}`);
      netns.exec("ip", ["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"]);
      for (const dev of ["veth0", "veth1", "lo"]) netns.exec("ip", ["link", "set", dev, "up"]);
      const load = (progType: number, name: string, r0: number) => {
        const { fd } = backend.loadProgram({
          progType,
          insns: encodeInstructions([mov64Imm(R0, r0), exit()], "little"),
          license: "GPL",
          name,
        });
        ids[name] = backend.progInfo(fd).id;
        return fd;
      };
      load(ProgType.XDP, "net_xdp_pass", 2);
      load(ProgType.XDP, "net_xdp_other", 2);
      load(ProgType.FLOW_DISSECTOR, "net_flow", 0);
      tcProg = load(ProgType.SCHED_CLS, "net_tc_ok", 0);
    });
    afterAll(() => {
      netns?.close();
      backend?.close();
    });

    it("shows XDP attached by either tool, tc filters and the flow dissector identically", () => {
      // ours attaches native XDP on veth1, theirs generic XDP on veth0
      expect(
        inNetns(BPFTOOL_BIN, ["-j", "net", "attach", "xdpdrv", "id", String(ids.net_xdp_pass), "dev", "veth1"]),
      ).toEqual({
        stdout: "null\n",
        stderr: "",
        status: 0,
      });
      expect(
        inNetns("bpftool", ["net", "attach", "xdpgeneric", "id", String(ids.net_xdp_pass), "dev", "veth0"]).status,
      ).toBe(0);
      // tc takes the program by pin; the filters hold it afterwards
      const pinned = `${pinRoot()}/tc`;
      backend.pin(tcProg, pinned);
      tc("qdisc", "add", "dev", "veth0", "clsact");
      tc("filter", "add", "dev", "veth0", "ingress", "bpf", "object-pinned", pinned, "da");
      tc("filter", "add", "dev", "veth0", "egress", "bpf", "object-pinned", pinned, "da");
      tc("qdisc", "add", "dev", "veth1", "root", "handle", "1:", "htb");
      tc("class", "add", "dev", "veth1", "parent", "1:", "classid", "1:1", "htb", "rate", "1mbit");
      tc("filter", "add", "dev", "veth1", "parent", "1:", "bpf", "object-pinned", pinned, "classid", "1:1");
      tc("filter", "add", "dev", "veth1", "parent", "1:1", "bpf", "object-pinned", pinned, "classid", "1:1");
      expect(inNetns("bpftool", ["prog", "attach", "id", String(ids.net_flow), "flow_dissector"]).status).toBe(0);

      for (const args of [["net"], ["net", "list"], ["-j", "net"], ["-p", "net", "show"]]) both(args);
      for (const dev of ["veth0", "veth1", "lo"]) {
        both(["net", "show", "dev", dev]);
        both(["-j", "net", "show", "dev", dev]);
      }
      // bpftool 7.1 writes the flow dissector's id as a key inside the array (`["id":N]`, not JSON): so do we
      const text = both(["-j", "net"]).stdout;
      expect(text).toContain(`"flow_dissector":["id":${ids.net_flow}]`);
      const shown = jsonOf({ stdout: text.replace(/\["id":(\d+)\]/, '[{"id":$1}]'), stderr: "", status: 0 }) as {
        xdp: unknown[];
        tc: unknown[];
        flow_dissector: unknown[];
      }[];
      expect(shown[0]?.xdp).toEqual([
        expect.objectContaining({ devname: "veth1", mode: "driver", id: ids.net_xdp_pass }),
        expect.objectContaining({ devname: "veth0", mode: "generic", id: ids.net_xdp_pass }),
      ]);
      expect(shown[0]?.tc.map((f) => (f as { kind: string }).kind).sort()).toEqual(
        ["clsact/egress", "clsact/ingress", "htb", "htb"].sort(),
      );
      expect(shown[0]?.flow_dissector).toEqual([{ id: ids.net_flow }]);
    });

    it("refuses an XDP program where one is attached (kernel message and all), replaces with overwrite, detaches", () => {
      const other = String(ids.net_xdp_other);
      both(["net", "attach", "xdpdrv", "id", other, "dev", "veth1"]);
      both(["-j", "net", "attach", "xdpdrv", "id", other, "dev", "veth0"]);
      expect(inNetns(BPFTOOL_BIN, ["net", "attach", "xdpdrv", "id", other, "dev", "veth1", "overwrite"]).status).toBe(
        0,
      );
      both(["-j", "net", "show", "dev", "veth1"]);
      both(["net", "attach", "xdpdrv", "id", other, "dev", "veth1", "sideways"]);
      // ours detaches what theirs attached, and the other way round
      expect(inNetns(BPFTOOL_BIN, ["net", "detach", "xdpgeneric", "dev", "veth0"])).toEqual({
        stdout: "",
        stderr: "",
        status: 0,
      });
      expect(inNetns("bpftool", ["net", "detach", "xdpdrv", "dev", "veth1"]).status).toBe(0);
      both(["net"]);
      both(["-j", "net"]);
    });
  });
});
