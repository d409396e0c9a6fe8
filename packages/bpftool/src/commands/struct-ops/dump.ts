// `bpftool struct_ops dump [STRUCT_OPS_MAP]`: each struct_ops map's bpf_map_info and its value, both formatted
// with the kernel's BTF (pretty JSON even without -j). Function pointers hold program ids in the value the kernel
// returns; they print as the member's prototype and the program (`void (struct sock *) cc_init/prog_id:7`).
import { type Btf, Kind } from "@bpfkit/btf";
import type { KernelBackend } from "@bpfkit/kernel";
import type { MapInfo } from "@bpfkit/loader";
import { formatBtfValue } from "../../btf-dumper/index.js";
import type { Args } from "../../cli/args.js";
import { btfById, vmlinuxBtf } from "../../cli/btf-by-id.js";
import type { Context } from "../../cli/context.js";
import { JsonWriter } from "../../json-writer.js";
import { funcSignature } from "../prog/func-sig.js";
import { printError, usage } from "../report.js";
import { retval, workOnStructOps } from "./maps.js";
import { MapInfoSize } from "./sizes.js";

/** The program's name from its first BTF function (bpftool's dump_prog_id_as_func_ptr), or undefined. */
function progName(backend: KernelBackend, progId: number): string | undefined {
  try {
    const fd = backend.fdById("prog", progId);
    try {
      const info = backend.progInfo(fd);
      if (!info.btfId || !info.nrFuncInfo) return undefined;
      const { funcInfo } = backend.progExtInfo(fd);
      if (funcInfo.bytes.length < 8) return undefined;
      const typeId = new DataView(funcInfo.bytes.buffer, funcInfo.bytes.byteOffset).getUint32(4, true);
      const btf = btfById(backend, info.btfId);
      return typeId < btf.typeCount && btf.kind(typeId) === Kind.FUNC ? btf.nameOf(typeId) : undefined;
    } finally {
      fd.close();
    }
  } catch {
    return undefined;
  }
}

export async function dump(ctx: Context, args: Args): Promise<number> {
  if (!args.done && args.left !== 2) return usage(ctx);
  const [type, term] = args.done ? [undefined, undefined] : [args.next(), args.next()];
  let vmlinux: Btf;
  try {
    vmlinux = vmlinuxBtf();
  } catch {
    printError(ctx, "struct_ops requires kernel CONFIG_DEBUG_INFO_BTF=y");
    return -1;
  }
  const mapInfoType = vmlinux.findByName("bpf_map_info", Kind.STRUCT);
  if (mapInfoType === undefined) {
    printError(ctx, "can't find bpf_map_info from btf_vmlinux");
    return -1;
  }
  // the kernel's struct as its BTF describes it, and at least what bpftool was built with
  const infoSize = Math.max(vmlinux.sizeField(mapInfoType), MapInfoSize);
  const backend = await ctx.backend();
  // without -j, bpftool still prints JSON: a pretty writer of its own on stdout
  const wtr = ctx.json ?? new JsonWriter(true, (bytes) => ctx.out.printBytes(bytes));
  const funcPointer = (protoId: number, value: bigint) => {
    const signature = funcSignature(vmlinux, protoId);
    if (value === 0n) return `${signature} 0`;
    const name = progName(backend, Number(value));
    return `${signature} ${name ?? "<unknown_prog_name>"}/prog_id:${value}`;
  };
  const tally = await workOnStructOps(
    ctx,
    type,
    term,
    (fd, info: MapInfo, w) => {
      const writer = w ?? wtr;
      const value = new Uint8Array(info.valueSize);
      let found = false;
      try {
        found = backend.mapLookup(fd, new Uint8Array(4), value);
      } catch {}
      if (!found) {
        printError(ctx, `can't lookup struct_ops map ${info.name} id ${info.id}`);
        return -1;
      }
      const raw = backend.infoBytes(fd, infoSize);
      const options = { plainText: !ctx.json, funcPointer };
      writer.startObject().name("bpf_map_info");
      formatBtfValue(writer, vmlinux, mapInfoType, raw, options);
      writer.endObject();
      writer.startObject().name(vmlinux.nameOf(info.btfVmlinuxValueTypeId));
      formatBtfValue(writer, vmlinux, info.btfVmlinuxValueTypeId, value, options);
      writer.endObject();
      return 0;
    },
    wtr,
  );
  // usage() exits before bpftool's own writer ends its document
  if (tally === undefined) return usage(ctx);
  if (!ctx.json) wtr.finish();
  return retval(tally, term !== undefined);
}
