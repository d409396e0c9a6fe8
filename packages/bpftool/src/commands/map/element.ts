// The element commands: lookup (and peek), getnext, delete, update (and push, enqueue), pop (and dequeue), as
// bpftool 7.1.0 runs them: the same argument checks, messages, output and return values (-errno of the failed
// syscall, so a lookup miss exits 254).
import type { Btf } from "@bpfkit/btf";
import type { Fd, MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, errnoOf, strerror } from "../../cli/errors.js";
import { resolveMapWithInfo, usageFailure } from "../../cli/map-spec.js";
import { hexBytes, mapValueBtf, valueBufferSize, writeHexArray } from "./common.js";
import { type ElemContext, type ElemSpec, parseElem } from "./elem.js";
import { printKeyValue } from "./entry.js";

const ENOENT = 2;

/** The errno of a failed bpf(2) call, for bpftool's `-errno` return values. */
function errnoFrom(error: unknown): number {
  const errno = errnoOf(error);
  if (errno === undefined) throw error;
  return errno;
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
  const backend = await ctx.backend();
  const { key, value } = buffers(info);
  await parseElem(ec, args, { key });
  const out = value ?? new Uint8Array(1);
  let found: boolean;
  try {
    found = backend.mapLookup(fd, key ?? null, out);
  } catch (error) {
    const errno = errnoFrom(error);
    throw new CliError(`lookup failed: ${strerror(errno)}`, { ret: -errno, cause: error });
  }
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
  const backend = await ctx.backend();
  let key: Uint8Array | null = null;
  if (!args.done) {
    key = new Uint8Array(info.keySize);
    await parseElem(ec, args, { key });
  }
  const next = new Uint8Array(Math.max(info.keySize, 1));
  let errno = 0;
  try {
    if (!backend.mapGetNextKey(fd, key, next)) errno = ENOENT;
  } catch (error) {
    errno = errnoFrom(error);
  }
  if (errno) throw new CliError(`can't get next key: ${strerror(errno)}`, { ret: -errno });
  if (ctx.json) {
    ctx.json.startObject();
    if (key) {
      ctx.json.name("key");
      writeHexArray(ctx.json, key, info.keySize);
    } else {
      ctx.json.nullField("key");
    }
    ctx.json.name("next_key");
    writeHexArray(ctx.json, next, info.keySize);
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
  const backend = await ctx.backend();
  const key = new Uint8Array(info.keySize);
  await parseElem(ec, args, { key });
  let errno = 0;
  try {
    if (!backend.mapDelete(fd, key)) errno = ENOENT;
  } catch (error) {
    errno = errnoFrom(error);
  }
  if (errno) throw new CliError(`delete failed: ${strerror(errno)}`, { ret: -errno });
  ctx.json?.null();
  return 0;
}

/** `map update MAP [key DATA] [value VALUE] [UPDATE_FLAGS]`, `map push|enqueue MAP value VALUE`. */
export async function update(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.backend();
  const { key, value } = buffers(info);
  const spec: ElemSpec = { key, value, flags: { value: 0 } };
  try {
    await parseElem(ec, args, spec);
    try {
      backend.mapUpdate(fd, key ?? null, value ?? new Uint8Array(0), spec.flags?.value ?? 0);
    } catch (error) {
      const errno = errnoFrom(error);
      throw new CliError(`update failed: ${strerror(errno)}`, { ret: -errno, cause: error });
    }
  } finally {
    spec.valueFd?.close();
  }
  ctx.json?.null();
  return 0;
}

/** `map pop|dequeue MAP`. */
export async function pop(ctx: Context, args: Args): Promise<number> {
  const { fd, info, ec } = await openMap(ctx, args);
  const backend = await ctx.backend();
  const { key, value } = buffers(info);
  const out = value ?? new Uint8Array(1);
  let found: boolean;
  try {
    found = backend.mapLookupAndDelete(fd, key ?? null, out);
  } catch (error) {
    const errno = errnoFrom(error);
    throw new CliError(`pop failed: ${strerror(errno)}`, { ret: -errno, cause: error });
  }
  if (!found) {
    if (ctx.json) ctx.json.null();
    else ctx.out.print("Error: empty map\n");
    return -ENOENT;
  }
  printKeyValue(ctx, info, key ?? new Uint8Array(0), out, await ec.btf());
  return 0;
}
