// Shared by the `bpftool prog` oracle tests: objects compiled for them, loading with the real bpftool, and the
// comparisons of our run with bpftool's beyond ./bpftool-oracle-support.ts (errors only, paired pins).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { oursClean, theirsOk } from "./bpftool-oracle-support.js";
import { jsonOf, type Run, theirs } from "./support/bpftool.js";
import { multiarchIncludes } from "./support/env.js";

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.bpf.o`, import.meta.url));

/** Programs written for these tests (compiled in a hook): metadata, a long name, quotes in source lines. */
export const SOURCES: Readonly<Record<string, string>> = {
  // bpf_metadata_* variables in .rodata, and a name longer than the kernel's 15 bytes
  meta: `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile char bpf_metadata_owner[] SEC(".rodata") = "bpfkit";
const volatile int bpf_metadata_version SEC(".rodata") = 3;
const volatile int not_metadata SEC(".rodata") = 7;
SEC("xdp")
int this_is_a_very_long_program_name(struct xdp_md *ctx)
{
	return bpf_metadata_version + not_metadata;
}
char LICENSE[] SEC("license") = "GPL";
`,
  // backslashes, quotes and a tab in the C source lines bpftool prints as "src"
  quotes: `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int quotes(struct xdp_md *ctx)
{
	char c = '\\\\'; volatile char d = c; bpf_printk("a\\tb'\\n"); return d == 'x' ? 1 : 2;
}
char LICENSE[] SEC("license") = "GPL";
`,
  // .rodata holding only static data (a bpf_printk format) and LINUX_HAS_SYSCALL_WRAPPER
  static_ro: `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int LINUX_HAS_SYSCALL_WRAPPER __kconfig;
SEC("xdp")
int only_static(struct xdp_md *ctx)
{
	bpf_printk("hello %d", LINUX_HAS_SYSCALL_WRAPPER);
	return 2;
}
char LICENSE[] SEC("license") = "GPL";
`,
  // a section name libbpf 1.1 does not know (`type TYPE` loads it)
  unknown_sec: `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("foo_unknown")
int unknown_sec(void *ctx) { return 2; }
char LICENSE[] SEC("license") = "GPL";
`,
  // sockmap programs for `prog attach/detach`
  sockmap: `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb) { return SK_PASS; }
SEC("sk_skb/stream_parser")
int parser(struct __sk_buff *skb) { return skb->len; }
SEC("sk_msg")
int msg(struct sk_msg_md *msg) { return SK_PASS; }
char LICENSE[] SEC("license") = "GPL";
`,
};

/** Compiles SOURCES[name] into `dir`; returns the object's path. */
export function compile(dir: string, name: string): string {
  const src = join(dir, `${name}.bpf.c`);
  const out = join(dir, `${name}.bpf.o`);
  writeFileSync(src, SOURCES[name] as string);
  execFileSync("clang-19", ["-target", "bpf", "-g", "-O2", ...multiarchIncludes(), "-c", src, "-o", out]);
  return out;
}

/** Ours and bpftool: identical stdout and exit status; stderr compared on its `Error:` lines only. */
export async function sameError(args: readonly string[]): Promise<Run> {
  const a = await oursClean(args);
  const b = theirs(args);
  const errors = (text: string) => text.split("\n").filter((l) => l.startsWith("Error: ") || l.startsWith("Warning: "));
  expect({ args: args.join(" "), stdout: a.stdout, status: a.status, errors: errors(a.stderr) }).toEqual({
    args: args.join(" "),
    stdout: b.stdout,
    status: b.status,
    errors: errors(b.stderr),
  });
  return a;
}

export interface ProgJson {
  id: number;
  name?: string;
  tag: string;
  map_ids?: number[];
  [key: string]: unknown;
}

/** `bpftool -j prog show pinned PATH`. */
export function progAt(path: string): ProgJson {
  return jsonOf(theirsOk(["-j", "prog", "show", "pinned", path])) as ProgJson;
}

/** Map ids and addresses of helpers/subprograms differ between two loads of one object; the code does not. */
export function normalizeXlated(text: string): string {
  return text
    .replace(/map\[id:\d+\]/g, "map[id:N]")
    .replace(/#\d+/g, "#N")
    .replace(/bpf_prog_[0-9a-f]{16}_/g, "bpf_prog_TAG_");
}

/** The fields of `prog show -j` that two loads of one object share (not ids, times, maps or BTF ids). */
export function loadInvariant(prog: ProgJson): Record<string, unknown> {
  const { id: _id, loaded_at: _at, map_ids, btf_id: _btf, ...rest } = prog;
  return { ...rest, maps: map_ids?.length ?? 0 };
}

/**
 * For commands that change the system (pins): ours runs `make("p-ours")`, bpftool `make("p-theirs")` (each on paths
 * of its own); outputs must be identical once those words are made the same.
 */
export async function samePaired(make: (side: string) => string[]): Promise<Run> {
  const a = await oursClean(make("p-ours"));
  const b = theirs(make("p-theirs"));
  const norm = (run: Run, side: string) => ({
    args: make("p-X").join(" "),
    stdout: run.stdout.replaceAll(side, "p-X"),
    stderr: run.stderr.replaceAll(side, "p-X"),
    status: run.status,
  });
  expect(norm(a, "p-ours")).toEqual(norm(b, "p-theirs"));
  return a;
}
