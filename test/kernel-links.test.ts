// BPF_LINK_CREATE against the real kernel: a cgroup_skb program linked to a fresh, empty cgroup v2 directory
// (no process lives there, so nothing on the machine is affected), checked with `bpftool link show`.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmdirSync } from "node:fs";
import {
  AttachType,
  BPFTOOL_ATTACH_TYPE_NAMES,
  encodeInstructions,
  exit,
  LinkType,
  mov64Imm,
  ProgType,
  R0,
} from "@bpfkit/asm";
import { KernelBackend } from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cgroup2Mount, describeWith } from "./support/env.js";

describeWith(["root", "bpftool", "cgroup2"], "kernel backend: links", () => {
  let backend: KernelBackend;
  beforeAll(() => {
    backend = new KernelBackend();
  });
  afterAll(() => backend?.close());

  it("links a cgroup_skb program to a cgroup and reads the link back", () => {
    const dir = `${cgroup2Mount()}/bpfkit-test-${process.pid}`;
    mkdirSync(dir);
    const cgroupFd = openSync(dir, "r");
    try {
      const { fd: prog } = backend.loadProgram({
        progType: ProgType.CGROUP_SKB,
        insns: encodeInstructions([mov64Imm(R0, 1), exit()], "little"),
        license: "GPL",
        name: "allow_all",
        expectedAttachType: AttachType.CGROUP_INET_INGRESS,
      });
      using _prog = prog;
      const link = backend.createLink({ prog, target: cgroupFd, attachType: AttachType.CGROUP_INET_INGRESS });
      const info = backend.linkInfo(link);
      expect(info.type).toBe(LinkType.CGROUP);
      expect(info.progId).toBe(backend.progInfo(prog).id);
      const shown = JSON.parse(
        execFileSync("bpftool", ["-j", "link", "show", "id", String(info.id)], { encoding: "utf8" }),
      );
      expect(shown).toMatchObject({
        id: info.id,
        type: "cgroup",
        prog_id: info.progId,
        attach_type: BPFTOOL_ATTACH_TYPE_NAMES[AttachType.CGROUP_INET_INGRESS],
      });
      // The per-type part of bpf_link_info for cgroup links: cgroup_id (u64), attach_type (u32).
      const details = new DataView(info.details.buffer, info.details.byteOffset, info.details.byteLength);
      expect(Number(details.getBigUint64(0, true))).toBe(shown.cgroup_id);
      expect(details.getUint32(8, true)).toBe(AttachType.CGROUP_INET_INGRESS);
      // Closing the last reference to the link detaches the program.
      link.close();
      expect(() => backend.fdById("link", info.id)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    } finally {
      closeSync(cgroupFd);
      if (existsSync(dir)) rmdirSync(dir);
    }
  });
});
