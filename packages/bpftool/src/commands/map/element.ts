// The element commands: lookup (and peek), getnext, delete, update (and push, enqueue), pop (and dequeue), as
// bpftool 7.1.0 runs them: the same argument checks, messages, output and return values (-errno of the failed
// syscall, so a lookup miss exits 254).
import type { Btf } from "@bpfkit/btf";
import type { Fd, MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, errnoOf, strerror } from "../../cli/errors.js";
import { resolveMapWithInfo, usageFailure } from "../../cli/map-spec.js";
import { hexBytes, mapValueBtf, valueBufferSize } from "./common.js";
import { type ElemContext, type ElemSpec, parseElem } from "./elem.js";
import { printKeyValue } from "./entry.js";

const ENOENT = 2;

/** The errno of a failed bpf(2) call, for bpftool's `-errno` return values. */
function errnoFrom(error: unknown): number {
  const errno = errnoOf(error);
  if (errno === undefined) throw error;
  return errno;
}

/** bpftool's "WHAT: strerror" for a failed map call, exiting with -errno. */
function callFailed(what: string, errno: number, cause?: unknown): CliError {
  return new CliError(`${what}: ${strerror(errno)}`, { ret: -errno, cause });
}

/** A map call, its failure reported as bpftool reports it. */
function mapCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw callFailed(what, errnoFrom(error), error);
  }
}

async function openMap(ctx: Context, args: Args): Promise<{ fd: Fd; info: MapInfo; ec: ElemContext }> {
  if (args.left < 2) throw usageFailure();
  const { fd, info } = await resolveMapWithInfo(ctx, args);
  ctx.defer(() => fd.close());
  let btf: Promise<Btf | undefined> | undefined;
  const ec: ElemContext = { ctx, info, btf: () => (btf ??= mapValueBtf(ctx, info)) };
  return { fd, info, ec };
}

/** bpftool's alloc_key_value: no buffer for a zero-sized key or value. */
function buffers(info: MapInfo): { key: Uint8Array | undefined; value: Uint8Array | undefined } {
  return {
    key: info.keySize ? new Uint8Array(info.keySize) : undefined,
    value: info.valueSize ? new Uint8Array(valueBufferSize(info)) : undefined,
  };
}

/** `map lookup MAP [key DATA]`, and `map peek MAP`. */
export async function lookup(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.objectBackend();
  const { key, value } = buffers(info);
  await parseElem(ec, args, { key });
  const out = value ?? new Uint8Array(1);
  const found = mapCall("lookup failed", () => backend.mapLookup(fd, key ?? null, out));
  if (!found) {
    if (ctx.json) ctx.json.null();
    else ctx.out.print(`key:\n${hexBytes(key ?? new Uint8Array(0), info.keySize)}\n\nNot found\n`);
    return -ENOENT;
  }
  printKeyValue(ctx, info, key ?? new Uint8Array(0), out, await ec.btf());
  return 0;
}

/** `map getnext MAP [key DATA]`. */
export async function getnext(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.objectBackend();
  let key: Uint8Array | null = null;
  if (!args.done) {
    key = new Uint8Array(info.keySize);
    await parseElem(ec, args, { key });
  }
  const next = new Uint8Array(Math.max(info.keySize, 1));
  if (!mapCall("can't get next key", () => backend.mapGetNextKey(fd, key, next)))
    throw callFailed("can't get next key", ENOENT);
  if (ctx.json) {
    ctx.json.startObject();
    if (key) {
      ctx.json.name("key");
      ctx.json.hexArray(key, info.keySize);
    } else {
      ctx.json.nullField("key");
    }
    ctx.json.name("next_key");
    ctx.json.hexArray(next, info.keySize);
    ctx.json.endObject();
  } else {
    const head = key ? `key:\n${hexBytes(key, info.keySize)}\n` : "key: None\n";
    ctx.out.print(`${head}next key:\n${hexBytes(next, info.keySize)}\n`);
  }
  return 0;
}

/** `map delete MAP key DATA`. */
export async function del(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.objectBackend();
  const key = new Uint8Array(info.keySize);
  await parseElem(ec, args, { key });
  if (!mapCall("delete failed", () => backend.mapDelete(fd, key))) throw callFailed("delete failed", ENOENT);
  ctx.json?.null();
  return 0;
}

/** `map update MAP [key DATA] [value VALUE] [UPDATE_FLAGS]`, `map push|enqueue MAP value VALUE`. */
export async function update(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.objectBackend();
  const { key, value } = buffers(info);
  const spec: ElemSpec = { key, value, flags: { value: 0 } };
  try {
    await parseElem(ec, args, spec);
    mapCall("update failed", () =>
      backend.mapUpdate(fd, key ?? null, value ?? new Uint8Array(0), spec.flags?.value ?? 0),
    );
  } finally {
    spec.valueFd?.close();
  }
  ctx.json?.null();
  return 0;
}

/** `map pop|dequeue MAP`. */
export async function pop(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.objectBackend();
  const { key, value } = buffers(info);
  const out = value ?? new Uint8Array(1);
  const found = mapCall("pop failed", () => backend.mapLookupAndDelete(fd, key ?? null, out));
  if (!found) {
    if (ctx.json) ctx.json.null();
    else ctx.out.print("Error: empty map\n");
    return -ENOENT;
  }
  printKeyValue(ctx, info, key ?? new Uint8Array(0), out, await ec.btf());
  return 0;
}
