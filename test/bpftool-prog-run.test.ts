// `bpftool prog run`, `prog attach|detach`, `prog tracelog` and `prog profile` against the real bpftool 7.1.0:
// the same test run gives the same return value and output packet (the duration is the kernel's measurement and
// differs run to run), errors and exit statuses match, sockmap programs attach and detach, and the trace pipe is
// read until a signal. Ours also runs `object FILE program NAME` and dumps the object's maps after the run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { oursClean, same, theirsOk } from "./bpftool-oracle-support.js";
import { compile, fixture, sameError } from "./bpftool-prog-support.js";
import { BPFTOOL_BIN, jsonOf, ours, theirs } from "./support/bpftool.js";
import { describeWith, itWith, usePinRoot } from "./support/env.js";

const IPPROTO_UDP = 17;

/** Ethernet + IPv4 header of a UDP packet, padded to 64 bytes. */
function udpPacket(): Uint8Array {
  const packet = new Uint8Array(64);
  packet.set([0x08, 0x00], 12);
  packet.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP], 14);
  packet.set([...Buffer.from("bpfkit")], 40);
  return packet;
}

interface RunJson {
  data_out?: number[];
  retval: number;
  duration: number;
  maps?: Record<string, { formatted?: { key?: number; value: unknown } }[]>;
}

/** Without the duration: `Return value: 2, duration: 123ns` -> `Return value: 2, duration: Nns`. */
const noDuration = (text: string) => text.replace(/duration( \(average\))?: \d+ns/, "duration$1: Nns");

describeWith(["root", "bpftool", "bpffs", "clang"], "bpftool prog run/attach/tracelog against bpftool 7.1.0", () => {
  const pinRoot = usePinRoot();
  let work = "";
  let packet = "";
  let sockmapObject = "";

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "bpfkit-prog-run-"));
    packet = join(work, "udp.bin");
    writeFileSync(packet, udpPacket());
    sockmapObject = compile(work, "sockmap");
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function loadXdp(): string {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", fixture("xdp_parse"), `${dir}/progs`]);
    return `${dir}/progs/xdp_parse`;
  }

  it("runs a program on a packet: return value and output packet as bpftool's", async () => {
    const prog = loadXdp();
    for (const extra of [[], ["repeat", "5"], ["data_size_out", "128"]]) {
      const args = ["prog", "run", "pinned", prog, "data_in", packet, "data_out", "-", ...extra];
      const a = await oursClean(["-j", ...args]);
      const b = theirs(["-j", ...args]);
      const { duration: _d1, ...ja } = jsonOf(a) as RunJson;
      const { duration: _d2, ...jb } = jsonOf(b) as RunJson;
      expect(ja).toEqual(jb);
      expect(ja.retval).toBe(2); // XDP_PASS: UDP is not the protocol drop_proto names
      expect(ja.data_out).toEqual([...udpPacket()]);
      const pa = await oursClean(args);
      const pb = theirs(args);
      expect({ ...pa, stdout: noDuration(pa.stdout) }).toEqual({ ...pb, stdout: noDuration(pb.stdout) });
      expect(pa.stdout).toContain("| ........ bpfkit..\n");
    }
    // the output packet to a file
    const a = await oursClean(["prog", "run", "pinned", prog, "data_in", packet, "data_out", join(work, "out.bin")]);
    expect(a.status).toBe(0);
    expect(noDuration(a.stdout)).toBe("Return value: 2, duration: Nns\n");
    expect([...readFileSync(join(work, "out.bin"))]).toEqual([...udpPacket()]);
    // the packet from standard input
    const stdin = theirs(["-j", "prog", "run", "pinned", prog, "data_in", "-"], udpPacket());
    expect((jsonOf(stdin) as RunJson).retval).toBe(2);
  });

  it("fails like bpftool: missing input, bad numbers, ambiguous prefixes, kernel refusals", async () => {
    const prog = loadXdp();
    for (const mode of [[], ["-j"]]) {
      const run = (...words: string[]) => [...mode, "prog", "run", "pinned", prog, ...words];
      await same(run("data_in", join(work, "missing.bin")));
      await same(run("data_in"));
      await same(run("d", packet));
      await same(run("c", packet));
      await same(run("data_in", packet, "repeat", "x"));
      await same(run("data_in", packet, "data_size_out", "1k"));
      await same(run("data_in", "-", "ctx_in", "-"));
      await same(run("data_in", packet, "bogus"));
      // the kernel's refusals come back as -errno: ENOSPC (228) for a short output buffer, EINVAL (234)
      await same(run("data_in", packet, "data_size_out", "10"));
      await same(run("data_in", packet, "ctx_in", packet));
      await same([...mode, "prog", "run", "pinned", prog]);
      await same([...mode, "prog", "run", "id", "4294967295", "data_in", packet]);
      await same([...mode, "prog", "run", "name", "no_such_program", "data_in", packet]);
    }
  });

  it("runs a program of an object file (ours) and dumps the object's maps after the run", async () => {
    const run = await oursClean([
      "-j",
      "prog",
      "run",
      "object",
      fixture("xdp_parse"),
      "program",
      "xdp_parse",
      "data_in",
      packet,
      "repeat",
      "3",
      "dump_maps",
    ]);
    const json = jsonOf(run) as RunJson;
    expect(json.retval).toBe(2);
    expect(Object.keys(json.maps ?? {})).toEqual(["proto_count", "xdp_pars.rodata", "xdp_pars.bss"]);
    const counts = (json.maps?.proto_count ?? []).filter((e) => e.formatted?.value !== 0);
    expect(counts.map((e) => e.formatted)).toEqual([{ key: IPPROTO_UDP, value: 3 }]);
    expect(json.maps?.["xdp_pars.bss"]?.[0]?.formatted).toEqual({ value: { ".bss": [{ packets_seen: 3 }] } });
    // PROG must name one program (the run closed every descriptor of the object: oursClean)
    const several = await oursClean(["prog", "run", "object", fixture("xdp_parse"), "data_in", packet]);
    expect(several).toMatchObject({ stderr: "Error: several programs match this handle\n", status: 255 });
    const noMaps = await oursClean(["prog", "run", "pinned", loadXdp(), "data_in", packet, "dump_maps"]);
    expect(noMaps.status).toBe(255);
    expect(noMaps.stderr).toContain("dump_maps needs PROG as 'object FILE");
    const bad = await oursClean(["prog", "show", "object", join(work, "missing.o")]);
    expect(bad).toMatchObject({ stdout: "", status: 255 });
    expect(bad.stderr).toContain("Error: failed to open object file\n");
  });

  it("attaches sockmap programs and detaches them, each tool undoing the other's", async () => {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", sockmapObject, `${dir}/progs`]);
    theirsOk([
      "map",
      "create",
      `${dir}/sockmap`,
      "type",
      "sockmap",
      "key",
      "4",
      "value",
      "4",
      "entries",
      "8",
      "name",
      "sm",
    ]);
    const map = ["pinned", `${dir}/sockmap`];
    for (const [prog, type] of [
      ["verdict", "stream_verdict"],
      ["parser", "sk_skb_stream_parser"],
      ["msg", "msg_verdict"],
    ] as const) {
      const p = ["pinned", `${dir}/progs/${prog}`];
      expect(await oursClean(["-j", "prog", "attach", ...p, type, ...map])).toEqual({
        stdout: "null\n",
        stderr: "",
        status: 0,
      });
      theirsOk(["prog", "detach", ...p, type, ...map]);
      // detached: a second detach fails in both
      await same(["prog", "detach", ...p, type, ...map]);
      theirsOk(["prog", "attach", ...p, type, ...map]);
      expect(await oursClean(["prog", "detach", ...p, type, ...map])).toEqual({ stdout: "", stderr: "", status: 0 });
    }
    for (const mode of [[], ["-j"]]) {
      const p = [...mode, "prog", "attach", "pinned", `${dir}/progs/verdict`];
      await same([...p, "bogus_type", ...map]);
      await same([...p, "stream_verdict"]);
      await same([...p, "stream_verdict", "id"]);
      await same([...p, "stream_verdict", "id", "4294967295"]);
      await same([...p, "flow"]);
      // not a flow dissector: the kernel refuses it (nothing is attached to the netns)
      await same([...p, "flow_dissector"]);
      await same([...mode, "prog", "detach", "pinned", `${dir}/progs/verdict`, "flow_dissector"]);
      await same([...mode, "prog", "attach", "pinned", `${dir}/progs/verdict`]);
      await sameError([
        ...mode,
        "prog",
        "attach",
        "pinned",
        `${dir}/progs/verdict`,
        "sk_msg_verdict",
        "id",
        "4294967295",
      ]);
    }
  });

  it("prints profile's refusal as bpftool 7.1.0 built without skeletons does", async () => {
    await same(["prog", "profile", "id", "1", "cycles"]);
    await same(["-j", "prog", "profile", "id", "1", "duration", "1", "cycles"]);
  });

  itWith(
    ["root"],
    "reads the trace pipe until a signal, and closes its JSON array",
    async () => {
      // the installed bin, in a process of its own: tracelog runs until SIGINT/SIGTERM
      for (const [mode, signal] of [
        [[], "SIGINT"],
        [["-j"], "SIGTERM"],
      ] as const) {
        const marker = `bpfkit-tracelog-${process.pid}-${signal}`;
        const child = spawn(BPFTOOL_BIN, [...mode, "prog", "tracelog"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        const deadline = Date.now() + 20_000;
        while (!stdout.includes(marker) && Date.now() < deadline) {
          // written until it shows up: the pipe is only read once the child has opened it
          writeFileSync("/sys/kernel/tracing/trace_marker", `${marker}\n`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        child.kill(signal);
        const code = await exited;
        expect(stdout).toContain(marker);
        expect(code).toBe(0);
        if (mode.length > 0) {
          const lines = JSON.parse(stdout) as string[];
          expect(lines.some((l) => l.includes(marker) && l.endsWith("\n"))).toBe(true);
        }
      }
    },
    60_000,
  );

  it("tracelog with another reader on the pipe fails as bpftool does", async () => {
    // trace_pipe has one reader at a time: ours, in the background, holds it while bpftool tries
    const child = spawn(BPFTOOL_BIN, ["prog", "tracelog"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const b = theirs(["prog", "tracelog"]);
      expect(b).toEqual({
        stdout: "",
        stderr: "Error: could not open trace pipe: Device or resource busy\n",
        status: 255,
      });
      const a = await ours(["prog", "tracelog"]);
      expect(a).toEqual(b);
    } finally {
      child.kill("SIGINT");
    }
  });
});
