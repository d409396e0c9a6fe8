// The system_config section of `bpftool feature probe`: BPF sysctls from procfs and the kernel build options that
// matter to BPF, from /boot/config-$(uname -r) or /proc/config.gz, printed as bpftool 7.1 prints them.
import { readFileSync, statfsSync } from "node:fs";
import { release } from "node:os";
import { describeErrno } from "../../cli/errors.js";
import type { ProbePrinter } from "./printer.js";

const PROC_SUPER_MAGIC = 0x9fa0;

/** The options bpftool reports, in its order; with `macros` only the ones it dumps as macros (CONFIG_HZ). */
export const KERNEL_OPTIONS: readonly { readonly name: string; readonly macro?: boolean }[] = [
  { name: "CONFIG_BPF" },
  { name: "CONFIG_BPF_SYSCALL" },
  { name: "CONFIG_HAVE_EBPF_JIT" },
  { name: "CONFIG_BPF_JIT" },
  { name: "CONFIG_BPF_JIT_ALWAYS_ON" },
  { name: "CONFIG_DEBUG_INFO_BTF" },
  { name: "CONFIG_DEBUG_INFO_BTF_MODULES" },
  { name: "CONFIG_CGROUPS" },
  { name: "CONFIG_CGROUP_BPF" },
  { name: "CONFIG_CGROUP_NET_CLASSID" },
  { name: "CONFIG_SOCK_CGROUP_DATA" },
  { name: "CONFIG_BPF_EVENTS" },
  { name: "CONFIG_KPROBE_EVENTS" },
  { name: "CONFIG_UPROBE_EVENTS" },
  { name: "CONFIG_TRACING" },
  { name: "CONFIG_FTRACE_SYSCALLS" },
  { name: "CONFIG_FUNCTION_ERROR_INJECTION" },
  { name: "CONFIG_BPF_KPROBE_OVERRIDE" },
  { name: "CONFIG_NET" },
  { name: "CONFIG_XDP_SOCKETS" },
  { name: "CONFIG_LWTUNNEL_BPF" },
  { name: "CONFIG_NET_ACT_BPF" },
  { name: "CONFIG_NET_CLS_BPF" },
  { name: "CONFIG_NET_CLS_ACT" },
  { name: "CONFIG_NET_SCH_INGRESS" },
  { name: "CONFIG_XFRM" },
  { name: "CONFIG_IP_ROUTE_CLASSID" },
  { name: "CONFIG_IPV6_SEG6_BPF" },
  { name: "CONFIG_BPF_LIRC_MODE2" },
  { name: "CONFIG_BPF_STREAM_PARSER" },
  { name: "CONFIG_NETFILTER_XT_MATCH_BPF" },
  { name: "CONFIG_BPFILTER" },
  { name: "CONFIG_BPFILTER_UMH" },
  { name: "CONFIG_TEST_BPF" },
  { name: "CONFIG_HZ", macro: true },
];

/**
 * bpftool's read_procfs: the first line as a base-10 number followed directly by its newline, else -1 (an
 * unreadable file too). The value is stored in a C int.
 */
export function readProcfsInt(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch {
    return -1;
  }
  const newline = text.indexOf("\n");
  const line = newline < 0 ? text : text.slice(0, newline + 1);
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(line);
  if (!match || line[match[0].length] !== "\n") return -1;
  const value = BigInt(match[1] as string);
  // strtol's range is a C long (ERANGE beyond it), then the value lands in an int
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return -1;
  return Number(BigInt.asIntN(32, value));
}

interface Sysctl {
  readonly json: string;
  readonly path: string;
  readonly plain: (value: number) => string;
}

const SYSCTLS: readonly Sysctl[] = [
  {
    json: "unprivileged_bpf_disabled",
    path: "/proc/sys/kernel/unprivileged_bpf_disabled",
    plain: (v) =>
      ({
        0: "bpf() syscall for unprivileged users is enabled",
        1: "bpf() syscall restricted to privileged users (without recovery)",
        2: "bpf() syscall restricted to privileged users (admin can change)",
        [-1]: "Unable to retrieve required privileges for bpf() syscall",
      })[v] ?? `bpf() syscall restriction has unknown value ${v}`,
  },
  {
    json: "bpf_jit_enable",
    path: "/proc/sys/net/core/bpf_jit_enable",
    plain: (v) =>
      ({
        0: "JIT compiler is disabled",
        1: "JIT compiler is enabled",
        2: "JIT compiler is enabled with debugging traces in kernel logs",
        [-1]: "Unable to retrieve JIT-compiler status",
      })[v] ?? `JIT-compiler status has unknown value ${v}`,
  },
  {
    json: "bpf_jit_harden",
    path: "/proc/sys/net/core/bpf_jit_harden",
    plain: (v) =>
      ({
        0: "JIT compiler hardening is disabled",
        1: "JIT compiler hardening is enabled for unprivileged users",
        2: "JIT compiler hardening is enabled for all users",
        [-1]: "Unable to retrieve JIT hardening status",
      })[v] ?? `JIT hardening status has unknown value ${v}`,
  },
  {
    json: "bpf_jit_kallsyms",
    path: "/proc/sys/net/core/bpf_jit_kallsyms",
    plain: (v) =>
      ({
        0: "JIT compiler kallsyms exports are disabled",
        1: "JIT compiler kallsyms exports are enabled for root",
        [-1]: "Unable to retrieve JIT kallsyms export status",
      })[v] ?? `JIT kallsyms exports status has unknown value ${v}`,
  },
  {
    json: "bpf_jit_limit",
    path: "/proc/sys/net/core/bpf_jit_limit",
    plain: (v) =>
      v === -1
        ? "Unable to retrieve global memory limit for JIT compiler for unprivileged users"
        : `Global memory limit for JIT compiler for unprivileged users is ${v} bytes`,
  },
];

function procfsMounted(): boolean {
  try {
    return statfsSync("/proc").type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** zlib's gzopen: a gzip file is inflated, anything else is read as it is. */
function gzRead(path: string): Buffer {
  const bytes = readFileSync(path);
  // node:zlib (and the streams it loads) only when the config is gzipped.
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? process.getBuiltinModule("node:zlib").gunzipSync(bytes) : bytes;
}

/** zlib's gzgets with bpftool's 4096-byte buffer: lines with their newline, long ones in 4095-byte pieces. */
function* gzLines(text: string): Generator<string> {
  for (let i = 0; i < text.length; ) {
    const newline = text.indexOf("\n", i);
    const end = Math.min(newline < 0 ? text.length : newline + 1, i + 4095);
    yield text.slice(i, end);
    i = end;
  }
}

/**
 * The kernel options' values (undefined: not set), and the note bpftool prints (not in JSON) when it cannot read
 * the configuration.
 */
export function readKernelConfig(macros: boolean): { values: Map<string, string>; note?: string } {
  const values = new Map<string, string>();
  let text: string;
  try {
    let bytes: Buffer;
    try {
      bytes = gzRead(`/boot/config-${release()}`);
    } catch {
      // some distributions build with CONFIG_IKCONFIG_PROC instead
      bytes = gzRead("/proc/config.gz");
    }
    text = bytes.toString("latin1");
  } catch (error) {
    return { values, note: `skipping kernel config, can't open file: ${describeErrno(error)}` };
  }
  const lines = gzLines(text);
  const first = lines.next();
  const second = lines.next();
  if (first.done || second.done) return { values, note: "skipping kernel config, can't read from file: Success" };
  if (second.value !== "# Automatically generated file; DO NOT EDIT.\n")
    return { values, note: "skipping kernel config, can't find correct file" };
  const wanted = new Set(KERNEL_OPTIONS.filter((o) => !macros || o.macro).map((o) => o.name));
  for (const line of lines) {
    if (!line.startsWith("CONFIG_")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    // bpftool drops the line's last character (its newline) before splitting at '='
    const trimmed = line.slice(0, -1);
    const name = trimmed.slice(0, eq);
    const value = trimmed.slice(eq + 1);
    if (value === "" || !wanted.has(name) || values.has(name)) continue;
    values.set(name, value);
  }
  return { values };
}

/** Prints the system_config section body (the section itself is opened and closed by the caller). */
export function printSystemConfig(p: ProbePrinter): void {
  if (!p.macros) {
    if (procfsMounted()) {
      for (const sysctl of SYSCTLS) {
        const value = readProcfsInt(sysctl.path);
        if (p.json) p.json.numberField(sysctl.json, value);
        else p.line(sysctl.plain(value));
      }
    } else {
      p.info("/* procfs not mounted, skipping related probes */");
    }
  }
  const { values, note } = readKernelConfig(p.macros);
  if (note !== undefined) p.info(note);
  for (const option of KERNEL_OPTIONS) {
    if (p.macros && !option.macro) continue;
    const value = values.get(option.name);
    if (p.json) {
      if (value === undefined) p.json.nullField(option.name);
      // bpftool's number check looks for a newline that was already cut: values are always strings
      else p.json.stringField(option.name, value);
    } else if (p.macros) {
      p.line(
        value === undefined
          ? `/* ${p.prefix}${option.name} is not set */`
          : `#define ${p.prefix}${option.name} ${value}`,
      );
    } else {
      p.line(value === undefined ? `${option.name} is not set` : `${option.name} is set to ${value}`);
    }
  }
}
