// BPF_PROG_ATTACH / BPF_PROG_DETACH: the attach API without links (sockmap/sockhash parsers and verdicts, flow
// dissector on the current netns, cgroups, lirc), as bpftool's `prog attach/detach` and `cgroup attach` use it.
import type { Fd } from "@bpfkit/loader";
import { StructBuffer } from "./attr/attr.js";
import { ProgAttach } from "./attr/layout.js";
import { bpf, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

export interface ProgAttachAttrs {
  readonly prog: Fd;
  /** A map (sockmap), cgroup or device fd; 0 for the flow dissector of the caller's netns. */
  readonly target: Fd | number;
  readonly attachType: number;
  /** BPF_F_ALLOW_OVERRIDE, BPF_F_ALLOW_MULTI, BPF_F_REPLACE. */
  readonly flags?: number;
  /** With BPF_F_REPLACE: the program to replace. */
  readonly replace?: Fd;
}

function fdValue(target: Fd | number): number {
  return typeof target === "number" ? target : target.value;
}

export function progAttach(attrs: ProgAttachAttrs): void {
  const attr = new StructBuffer(ProgAttach.size);
  attr
    .u32(ProgAttach.targetFd, fdValue(attrs.target))
    .u32(ProgAttach.attachBpfFd, attrs.prog.value)
    .u32(ProgAttach.attachType, attrs.attachType)
    .u32(ProgAttach.attachFlags, attrs.flags ?? 0)
    .u32(ProgAttach.replaceBpfFd, attrs.replace?.value ?? 0);
  const result = bpf(BpfCmd.PROG_ATTACH, attr, ProgAttach.size);
  if (result < 0) throw syscallError(BpfCmd.PROG_ATTACH, -result, `${attrs.prog.label} fd ${attrs.prog.value}`);
}

/** Detaches `prog` (or, with no program, whatever is attached where that is allowed: flow dissector, lirc). */
export function progDetach(prog: Fd | undefined, target: Fd | number, attachType: number): void {
  const attr = new StructBuffer(ProgAttach.size);
  attr
    .u32(ProgAttach.targetFd, fdValue(target))
    .u32(ProgAttach.attachBpfFd, prog?.value ?? 0)
    .u32(ProgAttach.attachType, attachType);
  const result = bpf(BpfCmd.PROG_DETACH, attr, ProgAttach.size);
  if (result < 0) throw syscallError(BpfCmd.PROG_DETACH, -result, prog ? `${prog.label} fd ${prog.value}` : "");
}
