// `bpftool perf show`: every BPF program attached through a perf event or raw tracepoint descriptor, found by
// asking the kernel about each open descriptor of each process (BPF_TASK_FD_QUERY).
import { closeSync, openSync } from "node:fs";
import { type KernelBackend, type TaskFdInfo, TaskFdType } from "@bpfkit/kernel";
import type { Context } from "../../cli/context.js";
import { readDirInOrder } from "../../cli/dirs.js";
import { strerror } from "../../cli/errors.js";
import { printError } from "../report.js";

const ENOTSUPP = 524;

/** Names in a /proc directory that are all digits, in the order the directory lists them. */
function numericEntries(path: string): number[] {
  return readDirInOrder(path)
    .filter((e) => /^\d+$/.test(e.name))
    .map((e) => Number(e.name));
}

function printJson(ctx: Context, pid: number, fd: number, q: TaskFdInfo): void {
  const j = ctx.json;
  if (!j) return;
  j.startObject().numberField("pid", pid).numberField("fd", fd).numberField("prog_id", q.progId);
  const probe = (kind: string) => {
    j.stringField("fd_type", kind);
    if (q.name !== "") j.stringField("func", q.name).numberField("offset", q.probeOffset);
    else j.numberField("addr", q.probeAddr);
  };
  switch (q.fdType) {
    case TaskFdType.RAW_TRACEPOINT:
      j.stringField("fd_type", "raw_tracepoint").stringField("tracepoint", q.name);
      break;
    case TaskFdType.TRACEPOINT:
      j.stringField("fd_type", "tracepoint").stringField("tracepoint", q.name);
      break;
    case TaskFdType.KPROBE:
      probe("kprobe");
      break;
    case TaskFdType.KRETPROBE:
      probe("kretprobe");
      break;
    case TaskFdType.UPROBE:
      j.stringField("fd_type", "uprobe").stringField("filename", q.name).numberField("offset", q.probeOffset);
      break;
    case TaskFdType.URETPROBE:
      j.stringField("fd_type", "uretprobe").stringField("filename", q.name).numberField("offset", q.probeOffset);
      break;
  }
  j.endObject();
}

function plainText(pid: number, fd: number, q: TaskFdInfo): string {
  const head = `pid ${pid}  fd ${fd}: prog_id ${q.progId}  `;
  const probe = (kind: string) =>
    q.name !== "" ? `${kind}  func ${q.name}  offset ${q.probeOffset}\n` : `${kind}  addr ${q.probeAddr}\n`;
  switch (q.fdType) {
    case TaskFdType.RAW_TRACEPOINT:
      return `${head}raw_tracepoint  ${q.name}\n`;
    case TaskFdType.TRACEPOINT:
      return `${head}tracepoint  ${q.name}\n`;
    case TaskFdType.KPROBE:
      return head + probe("kprobe");
    case TaskFdType.KRETPROBE:
      return head + probe("kretprobe");
    case TaskFdType.UPROBE:
      return `${head}uprobe  filename ${q.name}  offset ${q.probeOffset}\n`;
    case TaskFdType.URETPROBE:
      return `${head}uretprobe  filename ${q.name}  offset ${q.probeOffset}\n`;
    default:
      return head;
  }
}

/**
 * bpftool's has_perf_query_support: a query of a plain descriptor must be refused with ENOTSUPP; anything else
 * means no TASK_FD_QUERY (or no privileges).
 */
function querySupported(ctx: Context, backend: KernelBackend): boolean {
  let fd: number;
  try {
    fd = openSync("/", "r");
  } catch (error) {
    printError(
      ctx,
      `perf_query_support: cannot open directory "/" (${strerror((error as { errno?: number }).errno ?? 0)})`,
    );
    return false;
  }
  try {
    const result = backend.taskFdQuery(process.pid, fd);
    const errno = typeof result === "number" ? -result : 0;
    if (errno === ENOTSUPP) return true;
    printError(ctx, `perf_query_support: ${strerror(errno)}`);
    ctx.out.error("HINT: non root or kernel doesn't support TASK_FD_QUERY\n");
    return false;
  } finally {
    closeSync(fd);
  }
}

export async function show(ctx: Context): Promise<number> {
  const backend = await ctx.backend();
  if (!querySupported(ctx, backend)) return -1;
  ctx.json?.startArray();
  let text = "";
  for (const pid of numericEntries("/proc")) {
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      const q = backend.taskFdQuery(pid, fd);
      if (typeof q === "number") continue;
      if (ctx.json) printJson(ctx, pid, fd, q);
      else text += plainText(pid, fd, q);
    }
  }
  ctx.out.print(text);
  ctx.json?.endArray();
  return 0;
}
