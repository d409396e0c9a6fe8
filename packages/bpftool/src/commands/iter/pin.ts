// `bpftool iter pin OBJ PATH [map MAP]`, as bpftool 7.1 does it with libbpf 1.1: open and load the whole object,
// attach its first program with BPF_TRACE_ITER, pin the link (libbpf's bpf_link__pin makes the parent directory
// and wants it on bpffs), close everything else. Its messages, and its exit statuses (a missing program exits 0).
import { AttachType } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import { type Context, VM_NO_ATTACH } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { libbpfCheckPinPath, mountBpffsForPin } from "../prog/pin.js";
import { printError, usage } from "../report.js";
import { ObjectFailure, openAndLoad } from "../struct-ops/object.js";

const EINVAL = 22;
/** sizeof(union bpf_iter_link_info) in the 6.1 UAPI bpftool was built with. */
const ITER_LINK_INFO_SIZE = 16;

export async function pin(ctx: Context, args: Args): Promise<number> {
  if (args.left < 2) {
    printError(ctx, `'${args.previous()}' needs at least 2 arguments, ${args.left} found`);
    return usage(ctx);
  }
  ctx.requireKernel(VM_NO_ATTACH);
  const objfile = args.next();
  const path = args.next();
  let map: Fd | undefined;
  if (!args.done && args.is("map")) {
    args.skip();
    if (args.left < 2) {
      printError(ctx, `'${args.previous()}' needs at least 2 arguments, ${args.left} found`);
      throw new CliError("incorrect map spec");
    }
    map = await resolveMap(ctx, args);
  }
  try {
    let collection: Awaited<ReturnType<typeof openAndLoad>>;
    try {
      collection = await openAndLoad(ctx, objfile);
    } catch (error) {
      if (!(error instanceof ObjectFailure)) throw error;
      throw new CliError(`can't ${error.stage} objfile ${objfile}`, { ret: error.ret });
    }
    const first = collection.spec.programs.find((p) => collection.programs.has(p.name));
    if (first === undefined) {
      // bpftool returns the load's result here, which was a success
      printError(ctx, `can't find bpf program in objfile ${objfile}`);
      return 0;
    }
    const backend = await ctx.backend();
    let iterInfo: Uint8Array | undefined;
    if (map) {
      iterInfo = new Uint8Array(ITER_LINK_INFO_SIZE);
      new DataView(iterInfo.buffer).setUint32(0, map.value, true);
    }
    let link: Fd;
    try {
      link = backend.createLink({
        prog: collection.program(first.name).fd,
        target: 0,
        attachType: AttachType.TRACE_ITER,
        ...(iterInfo ? { iterInfo } : {}),
      });
    } catch (error) {
      ctx.out.error(`libbpf: prog '${first.name}': failed to attach to iterator: ${describeErrno(error)}\n`);
      throw new CliError(`attach_iter failed for program ${first.name}`, { ret: -(errnoOf(error) ?? EINVAL) });
    }
    try {
      mountBpffsForPin(ctx, path);
      let err = libbpfCheckPinPath(ctx, path);
      if (err === 0) {
        try {
          backend.pin(link, path);
        } catch (error) {
          err = -(errnoOf(error) ?? EINVAL);
        }
      }
      if (err) throw new CliError(`pin_iter failed for program ${first.name} to path ${path}`, { ret: err });
    } finally {
      link.close();
    }
    return 0;
  } finally {
    map?.close();
  }
}
