import { describe, expect, it } from "vitest";
import { BpfSyscallError, commandName, explainErrno } from "./errors.js";

describe("explainErrno", () => {
  it("explains EPERM with what it can see about the process", () => {
    const text = explainErrno("BPF_MAP_CREATE", "EPERM", { euid: 1000, unprivilegedBpfDisabled: 2 });
    expect(text).toContain("CAP_BPF");
    expect(text).toContain("uid 1000");
    expect(text).toContain("kernel.unprivileged_bpf_disabled=2");
    expect(text).not.toContain("RLIMIT_MEMLOCK");
  });

  it("mentions RLIMIT_MEMLOCK only when the kernel charges it and the limit is finite", () => {
    expect(explainErrno("BPF_MAP_CREATE", "EPERM", { euid: 0, memlockLimited: true })).toContain("ulimit -l");
    expect(explainErrno("BPF_MAP_CREATE", "EPERM", { euid: 0 })).not.toContain("uid 0");
  });

  it("names program-load specific causes", () => {
    expect(explainErrno("BPF_PROG_LOAD", "EPERM")).toContain("lockdown");
    expect(explainErrno("BPF_PROG_LOAD", "EACCES")).toContain("verifier");
    expect(explainErrno("BPF_OBJ_GET", "EACCES")).toContain("bpffs permissions");
  });

  it("stays silent where the errno says it all", () => {
    expect(explainErrno("BPF_MAP_UPDATE_ELEM", "EEXIST")).toBe("");
    expect(explainErrno("BPF_MAP_LOOKUP_ELEM", "ENOENT")).toBe("");
    expect(explainErrno("BPF_MAP_GET_FD_BY_ID", "ENOENT")).toBe("no such object");
  });
});

describe("BpfSyscallError", () => {
  it("carries command, errno, code and explanation, and reads as one line", () => {
    const e = new BpfSyscallError("BPF_MAP_CREATE", 1, "EPERM", '"counts"', "needs root");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("BpfSyscallError");
    expect(e.message).toBe('BPF_MAP_CREATE ("counts") failed: EPERM: needs root');
    expect({ command: e.command, errno: e.errno, code: e.code }).toEqual({
      command: "BPF_MAP_CREATE",
      errno: 1,
      code: "EPERM",
    });
  });

  it("names commands by number from the generated table", () => {
    expect(commandName(0)).toBe("BPF_MAP_CREATE");
    expect(commandName(5)).toBe("BPF_PROG_LOAD");
    expect(commandName(10)).toBe("BPF_PROG_TEST_RUN");
    expect(commandName(999)).toBe("bpf cmd 999");
  });
});
