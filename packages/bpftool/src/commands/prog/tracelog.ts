// `prog tracelog` (bpftool's do_tracelog): the kernel's trace_pipe (what bpf_printk writes), line by line, until
// SIGINT/SIGTERM/SIGHUP; with -j one JSON string per line in an array closed on the signal. tracefs is looked
// for where bpftool looks, and mounted at /sys/kernel/tracing when absent (unless -n).
import { closeSync, constants, openSync, readFileSync, readSync, statfsSync } from "node:fs";
import { MountFlag, mount } from "@bpfkit/kernel";
import type { CommandResult } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, strerror } from "../../cli/errors.js";

const TRACEFS_MAGIC = 0x74726163;
const EINVAL = 22;
const KNOWN_MOUNTS = ["/sys/kernel/debug/tracing", "/sys/kernel/tracing", "/tracing", "/trace"];

function isTracefs(dir: string): boolean {
  try {
    return statfsSync(dir).type === TRACEFS_MAGIC;
  } catch {
    return false;
  }
}

/** bpftool's mount_tracefs (mnt_fs with "tracefs"). */
function mountTracefs(target: string): void {
  let bindDone = false;
  let failure: string | undefined;
  for (;;) {
    const errno = mount("", target, "none", MountFlag.PRIVATE | MountFlag.REC, null);
    if (errno === 0) break;
    if (errno !== EINVAL || bindDone) {
      failure = `mount --make-private ${target} failed: ${strerror(errno)}`;
      break;
    }
    const bind = mount(target, target, "none", MountFlag.BIND, null);
    if (bind !== 0) {
      failure = `mount --bind ${target} ${target} failed: ${strerror(bind)}`;
      break;
    }
    bindDone = true;
  }
  if (failure === undefined) {
    const errno = mount("tracefs", target, "tracefs", 0, "mode=0700");
    if (errno !== 0) failure = `mount -t tracefs tracefs ${target} failed: ${strerror(errno)}`;
  }
  if (failure !== undefined) throw new CliError(`can't mount tracefs: ${failure}`);
}

/** bpftool's get_tracefs_pipe: the known mount points, then /proc/mounts, then a mount of our own. */
export function tracePipePath(ctx: Context): string {
  for (const dir of KNOWN_MOUNTS) if (isTracefs(dir)) return `${dir}/trace_pipe`;
  let found: string | undefined;
  try {
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const fields = line.split(" ");
      if (fields[2] === "tracefs") {
        found = fields[1];
        break;
      }
    }
  } catch {
    throw new CliError("could not find tracefs", { silent: true });
  }
  if (found !== undefined && isTracefs(found)) return `${found}/trace_pipe`;
  // bpftool returns quietly when it may not mount
  if (ctx.options.nomount) throw new CliError("could not find tracefs", { silent: true });
  ctx.info("could not find tracefs, attempting to mount it now");
  mountTracefs(KNOWN_MOUNTS[1] as string);
  return `${KNOWN_MOUNTS[1]}/trace_pipe`;
}

const POLL_MS = 50;
const EAGAIN = 11;

/**
 * The pipe is read without blocking and polled: a read blocked in the thread pool would keep the process from
 * exiting on the signal (Node joins its pool threads at exit).
 */
export async function doTracelog(ctx: Context, _args?: unknown): Promise<CommandResult> {
  const json = ctx.json;
  json?.startArray();
  const path = tracePipePath(ctx);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new CliError(`could not open trace pipe: ${describeErrno(error)}`, { cause: error });
  }
  const buffer = Buffer.alloc(64 * 1024);
  let pending = "";
  const emit = (line: string) => {
    if (json) json.string(line);
    else ctx.out.print(line);
  };
  const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  return new Promise<CommandResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const signal of SIGNALS) process.off(signal, stop);
      closeSync(fd);
    };
    // bpftool's exit_tracelog: what was read is printed, the JSON array closed, exit status 0
    function stop(): void {
      finish();
      json?.endArray();
      ctx.out.flush();
      resolve(0);
    }
    for (const signal of SIGNALS) process.on(signal, stop);
    const poll = () => {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buffer, 0, buffer.length, null);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).errno === -EAGAIN || (error as NodeJS.ErrnoException).code === "EAGAIN")
            break;
          finish();
          reject(new CliError(`failed to read content from trace pipe: ${describeErrno(error)}`, { cause: error }));
          return;
        }
        if (n === 0) {
          finish();
          reject(new CliError(`failed to read content from trace pipe: ${strerror(0)}`));
          return;
        }
        pending += buffer.toString("utf8", 0, n);
        for (let eol = pending.indexOf("\n"); eol >= 0; eol = pending.indexOf("\n")) {
          emit(pending.slice(0, eol + 1));
          pending = pending.slice(eol + 1);
        }
      }
      json?.flush();
      ctx.out.flush();
      timer = setTimeout(poll, POLL_MS);
    };
    poll();
  });
}
