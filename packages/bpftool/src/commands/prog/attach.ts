// `prog attach PROG ATTACH_TYPE [MAP]` / `prog detach PROG ATTACH_TYPE [MAP]` (bpftool's do_attach / do_detach):
// BPF_PROG_ATTACH of sockmap/sockhash programs to their map, and of a flow dissector to the current network
// namespace (no MAP then).
import { AttachType, BPFTOOL_ATTACH_TYPE_NAMES } from "@bpfkit/asm";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { type Args, type CommandResult, isPrefix } from "../../cli/args.js";
import { type Context, VM_NO_ATTACH } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { resolveProgTarget, singleProg } from "../../cli/prog-spec.js";

const EINVAL = 22;

/** The attach types bpftool accepts here, in enum order, with their legacy short names (matched as prefixes). */
const ATTACH_TYPES: readonly { type: number; legacy?: string }[] = [
  { type: AttachType.SK_SKB_STREAM_PARSER, legacy: "stream_parser" },
  { type: AttachType.SK_SKB_STREAM_VERDICT, legacy: "stream_verdict" },
  { type: AttachType.SK_MSG_VERDICT, legacy: "msg_verdict" },
  { type: AttachType.FLOW_DISSECTOR },
  { type: AttachType.SK_SKB_VERDICT, legacy: "skb_verdict" },
];

/** bpftool's parse_attach_type: libbpf's name exactly, or a prefix of the legacy name; undefined when neither. */
export function parseAttachType(word: string): number | undefined {
  for (const { type, legacy } of ATTACH_TYPES) {
    if (word === BPFTOOL_ATTACH_TYPE_NAMES[type]) return type;
    if (legacy !== undefined && isPrefix(word, legacy)) return type;
  }
  return undefined;
}

interface Parsed {
  readonly prog: Fd;
  readonly type: number;
  readonly map: Fd | undefined;
}

/** bpftool's parse_attach_detach_args. */
async function parseArgs(ctx: Context, args: Args): Promise<Parsed> {
  args.reqArgs(3, -EINVAL);
  ctx.requireKernel(VM_NO_ATTACH);
  const { fd: prog } = singleProg(await resolveProgTarget(ctx, args));
  try {
    const word = args.peek() ?? "";
    const type = parseAttachType(word);
    if (type === undefined) throw new CliError("invalid attach/detach type", { ret: -EINVAL });
    if (type === AttachType.FLOW_DISSECTOR) return { prog, type, map: undefined };
    args.skip();
    args.reqArgs(2, -EINVAL);
    return { prog, type, map: await resolveMap(ctx, args) };
  } catch (error) {
    prog.close();
    throw error;
  }
}

/** do_attach and do_detach: the parsed program and map, one BPF_PROG_ATTACH or _DETACH, bpftool's one message. */
async function attachOrDetach(
  ctx: Context,
  args: Args,
  call: (backend: KernelBackend, parsed: Parsed) => void,
  failure: string,
): Promise<CommandResult> {
  const parsed = await parseArgs(ctx, args);
  const backend = await ctx.backend();
  try {
    call(backend, parsed);
  } catch (error) {
    throw new CliError(failure, { ret: -EINVAL, cause: error });
  } finally {
    parsed.prog.close();
    parsed.map?.close();
  }
  ctx.json?.null();
  return 0;
}

export async function doAttach(ctx: Context, args: Args): Promise<CommandResult> {
  return attachOrDetach(
    ctx,
    args,
    (backend, { prog, type, map }) => backend.progAttach({ prog, target: map ?? 0, attachType: type }),
    "failed prog attach to map",
  );
}

export async function doDetach(ctx: Context, args: Args): Promise<CommandResult> {
  return attachOrDetach(
    ctx,
    args,
    (backend, { prog, type, map }) => backend.progDetach(prog, map ?? 0, type),
    "failed prog detach from map",
  );
}
