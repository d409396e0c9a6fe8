// `bpftool link show [LINK]`: every link (or one), with the fields bpftool 7.1 prints for its type.
import { bpftoolAttachType, bpftoolLinkType, bpftoolProgType } from "@bpfkit/asm";
import type { KernelBackend, KernelLinkInfo } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { openEachById } from "../../cli/object-ids.js";
import { buildPinnedTable, type PinnedTable } from "../../cli/pinned-table.js";
import type { JsonWriter } from "../../json-writer.js";
import { printError } from "../report.js";
import { parseLink, withUsage } from "./parse.js";

const LinkType = { RAW_TRACEPOINT: 1, TRACING: 2, CGROUP: 3, ITER: 4, NETNS: 5 } as const;

const CGROUP_ITER_ORDER = ["order_unspec", "self_only", "descendants_pre", "descendants_post", "ancestors_up"];

const isMapIter = (target: string) => target === "bpf_map_elem" || target === "bpf_sk_storage_map";
const isTaskIter = (target: string) => target === "task" || target === "task_file" || target === "task_vma";

/** What bpftool prints of one link, as fields in its order (numbers stay numbers). */
type Field = readonly [name: string, value: string | number | bigint, plain: string];

/**
 * The fields after `id`, `type`, `prog_id`: per link type, from the union of bpf_link_info. `progType` reads the
 * linked program's type (tracing links show it).
 */
export function typeFields(info: KernelLinkInfo, progType: () => number): Field[] {
  const d = new DataView(info.details.buffer, info.details.byteOffset, info.details.byteLength);
  const u32 = (off: number) => d.getUint32(off, true);
  const u64 = (off: number) => d.getBigUint64(off, true);
  const attach = (type: number): Field => {
    const name = bpftoolAttachType(type);
    return ["attach_type", name, `attach_type ${name}  `];
  };
  switch (info.type) {
    case LinkType.RAW_TRACEPOINT:
      return [["tp_name", info.name ?? "", `\n\ttp '${info.name ?? ""}'  `]];
    case LinkType.TRACING: {
      const name = bpftoolProgType(progType());
      return [["prog_type", name, `\n\tprog_type ${name}  `], attach(u32(0))];
    }
    case LinkType.CGROUP:
      return [["cgroup_id", u64(0), `\n\tcgroup_id ${u64(0)}  `], attach(u32(8))];
    case LinkType.ITER: {
      const target = info.name ?? "";
      const fields: Field[] = [["target_name", target, `target_name ${target}  `]];
      if (isMapIter(target)) fields.push(["map_id", u32(12), `map_id ${u32(12)}  `]);
      else if (isTaskIter(target)) {
        if (u32(16)) fields.push(["tid", u32(16), `tid ${u32(16)} `]);
        else if (u32(20)) fields.push(["pid", u32(20), `pid ${u32(20)} `]);
      }
      if (target === "cgroup") {
        const order = CGROUP_ITER_ORDER[u32(24)] ?? "unknown";
        fields.push(["cgroup_id", u64(16), `cgroup_id ${u64(16)}  `], ["order", order, `order ${order}  `]);
      }
      return fields;
    }
    case LinkType.NETNS:
      return [["netns_ino", u32(0), `\n\tnetns_ino ${u32(0)}  `], attach(u32(4))];
    default:
      return [];
  }
}

function linkedProgType(backend: KernelBackend, progId: number): number {
  try {
    const fd = backend.fdById("prog", progId);
    try {
      return backend.progInfo(fd).type;
    } finally {
      fd.close();
    }
  } catch (error) {
    throw new CliError(`can't get prog info: ${describeErrno(error)}`, { cause: error });
  }
}

export function printJson(
  json: JsonWriter,
  info: KernelLinkInfo,
  fields: Field[],
  pinned: PinnedTable | undefined,
): void {
  json.startObject();
  json.numberField("id", info.id);
  const type = bpftoolLinkType(info.type);
  if (typeof type === "string") json.stringField("type", type);
  else json.numberField("type", type);
  json.numberField("prog_id", info.progId);
  for (const [name, value] of fields) {
    if (typeof value === "string") json.stringField(name, value);
    else json.numberField(name, value);
  }
  if (pinned && pinned.size > 0) {
    json.name("pinned").startArray();
    for (const path of pinned.get(info.id)) json.string(path);
    json.endArray();
  }
  json.endObject();
}

export function plainText(info: KernelLinkInfo, fields: Field[], pinned: PinnedTable | undefined): string {
  const type = bpftoolLinkType(info.type);
  let text = `${info.id}: ${typeof type === "string" ? `${type}  ` : `type ${type}  `}prog ${info.progId}  `;
  for (const [, , plain] of fields) text += plain;
  if (pinned && pinned.size > 0) for (const path of pinned.get(info.id)) text += `\n\tpinned ${path}`;
  return `${text}\n`;
}

function showLink(ctx: Context, backend: KernelBackend, fd: Fd, pinned: PinnedTable | undefined): void {
  let info: KernelLinkInfo;
  try {
    info = backend.linkInfo(fd);
  } catch (error) {
    throw new CliError(`can't get link info: ${describeErrno(error)}`, { cause: error });
  } finally {
    fd.close();
  }
  const fields = typeFields(info, () => linkedProgType(backend, info.progId));
  if (ctx.json) printJson(ctx.json, info, fields, pinned);
  else ctx.out.print(plainText(info, fields, pinned));
}

export async function show(ctx: Context, args: Args): Promise<number> {
  const backend = await ctx.backend();
  const pinned = ctx.options.bpffs ? buildPinnedTable(backend, "link") : undefined;
  if (args.left === 2) {
    return withUsage(ctx, async () => {
      showLink(ctx, backend, await parseLink(ctx, args), pinned);
      return 0;
    });
  }
  if (!args.done) throw new CliError(`what is '${args.peek()}'?`);

  const json = ctx.json;
  json?.startArray();
  let ret = 0;
  // bpftool reports a failure inside the listing and stops there
  const fail = (error: CliError) => {
    printError(ctx, error.message);
    ret = -1;
  };
  try {
    const walk = { noun: "link", next: "can't get next link", tooOldHint: true, onError: fail };
    for (const { fd } of openEachById(backend, "link", walk)) {
      try {
        showLink(ctx, backend, fd, pinned);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        fail(error);
        break;
      }
    }
  } finally {
    json?.endArray();
  }
  return ret;
}
