// The `key DATA`, `value VALUE` and UPDATE_FLAGS words of map update/lookup/getnext/delete/push, parsed as
// bpftool's parse_elem does (in any order, each at most once, with its messages), plus ours: `key json TEXT` and
// `value json TEXT`, encoded with the map's BTF key/value type.
import type { Btf } from "@bpfkit/btf";
import { possibleCpus } from "@bpfkit/kernel";
import type { Fd, MapInfo } from "@bpfkit/loader";
import { Args, isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { resolveProg } from "../../cli/prog-spec.js";
import { strtoul } from "../../cli/strtoul.js";
import { isMapOfMaps, isMapOfProgs, isPerCpu, perCpuStride } from "./common.js";

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** What the command line asks for; undefined members were not given (or not allowed). */
export interface ElemSpec {
  /** Buffer for the key, or undefined when the command takes no key (then `key` is an error). */
  key?: Uint8Array;
  /** Buffer for the value, or undefined when the command takes no value. */
  value?: Uint8Array;
  /** Set to the flags word when the command takes UPDATE_FLAGS. */
  flags?: { value: number };
  /** The map or program a map-in-map or prog array value names; the caller closes it after the update. */
  valueFd?: Fd;
}

/** bpftool's parse_bytes: `n` bytes, each a C number (hex after a `hex` word), into `out`. */
export function parseBytes(args: Args, name: string, out: Uint8Array, n: number): void {
  let base = 0;
  if (isPrefix(args.peek(), "hex")) {
    base = 16;
    args.skip();
  }
  let i = 0;
  while (i < n && !args.done) {
    const word = args.next();
    const { value, complete } = strtoul(word, base);
    if (!complete) throw new CliError(`error parsing byte: ${word}`);
    out[i] = Number(value & 0xffn);
    i++;
  }
  if (i !== n) throw new CliError(`${name} expected ${n} bytes got ${i}`);
}

/** JSON.parse that keeps integers beyond 2^53 exact (as bigints), for 64-bit map fields. */
export function parseJsonExact(text: string): unknown {
  const marker = "\u0000bigint:";
  let marked = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      marked += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const m = /^-?\d+(?![.eE\d])/.exec(text.slice(i, i + 64));
    if ((c === "-" || (c >= "0" && c <= "9")) && m && !Number.isSafeInteger(Number(m[0]))) {
      marked += `"\\u0000bigint:${m[0]}"`;
      i += m[0].length;
      continue;
    }
    marked += c;
    i++;
  }
  return JSON.parse(marked, (_key, value) =>
    typeof value === "string" && value.startsWith(marker) ? BigInt(value.slice(marker.length)) : value,
  );
}

/** Ours: `json TEXT` after `key`/`value`, encoded with the map's BTF type. */
async function parseJsonBytes(
  args: Args,
  what: "key" | "value",
  typeId: number,
  btf: Btf | undefined,
  out: Uint8Array,
) {
  args.skip();
  if (args.done) throw new CliError(`${what} json needs a JSON text`);
  const text = args.next();
  if (btf === undefined || typeId === 0) throw new CliError(`${what} json needs a map with a BTF ${what} type`);
  let parsed: unknown;
  try {
    parsed = parseJsonExact(text);
  } catch (error) {
    throw new CliError(`can't parse ${what} JSON: ${(error as Error).message}`);
  }
  const { encodeValue } = await import("../../cli/value-codec.js");
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(btf, typeId, parsed as Parameters<typeof encodeValue>[2]);
  } catch (error) {
    throw new CliError(`${what} JSON does not fit the map's ${what} type: ${(error as Error).message}`);
  }
  if (bytes.length !== out.length && !(what === "value" && bytes.length <= out.length))
    throw new CliError(`${what} expected ${out.length} bytes got ${bytes.length}`);
  out.set(bytes.subarray(0, out.length));
}

/** bpftool's fill_per_cpu_value: the value given once is written for every possible CPU. */
function fillPerCpu(info: MapInfo, value: Uint8Array): void {
  if (!isPerCpu(info.type)) return;
  const step = perCpuStride(info);
  const first = value.slice(0, info.valueSize);
  for (let cpu = 1; cpu < possibleCpus(); cpu++) value.set(first, cpu * step);
}

export interface ElemContext {
  readonly ctx: Context;
  readonly info: MapInfo;
  /** The map's BTF, for `json` keys and values (loaded only when asked for). */
  readonly btf: () => Promise<Btf | undefined>;
}

/** bpftool's parse_elem: the rest of the command line. */
export async function parseElem(ec: ElemContext, args: Args, spec: ElemSpec): Promise<void> {
  const { info } = ec;
  let key = spec.key;
  let value = spec.value;
  let flags = spec.flags;
  for (;;) {
    const word = args.peek();
    if (word === undefined) {
      if (key === undefined && value === undefined) return;
      throw new CliError(`did not find ${key !== undefined ? "key" : "value"}`);
    }
    if (isPrefix(word, "key")) {
      if (key === undefined) throw new CliError(info.keySize ? "duplicate key" : "unnecessary key");
      args.skip();
      if (args.peek() === "json") await parseJsonBytes(args, "key", info.btfKeyTypeId, await ec.btf(), key);
      else parseBytes(args, "key", key, info.keySize);
      key = undefined;
    } else if (isPrefix(word, "value")) {
      // bpftool passes the value size only to commands that take a value: a second one is a duplicate there.
      if (value === undefined) throw new CliError(spec.value !== undefined ? "duplicate value" : "unnecessary value");
      args.skip();
      if (isMapOfMaps(info.type) || isMapOfProgs(info.type)) {
        const what = isMapOfMaps(info.type) ? "map in map" : "map of progs";
        if (info.valueSize !== 4) throw new CliError(`value smaller than 4B for ${what}?`);
        if (args.left < 2) throw new CliError(`not enough value arguments for ${what}`);
        // bpftool hands exactly two words (`id N`, `pinned FILE`, ...) to the MAP/PROG parser.
        const two = new Args([args.next(), args.next()]);
        let fd: Fd;
        if (isMapOfMaps(info.type)) {
          fd = await resolveMap(ec.ctx, two);
        } else {
          if (isPrefix(two.peek(), "id"))
            ec.ctx.info(
              "Warning: updating program array via MAP_ID, make sure this map is kept open\n" +
                "         by some process or pinned otherwise update will be lost",
            );
          fd = await resolveProg(ec.ctx, two);
        }
        spec.valueFd = fd;
        new DataView(value.buffer, value.byteOffset, 4).setUint32(0, fd.value, true);
      } else {
        if (args.peek() === "json")
          await parseJsonBytes(args, "value", valueTypeOf(info), await ec.btf(), value.subarray(0, info.valueSize));
        else parseBytes(args, "value", value, info.valueSize);
        fillPerCpu(info, value);
      }
      value = undefined;
    } else if (isPrefix(word, "any") || isPrefix(word, "noexist") || isPrefix(word, "exist")) {
      if (flags === undefined) throw new CliError(`flags specified multiple times: ${word}`);
      if (isPrefix(word, "any")) flags.value = BPF_ANY;
      else if (isPrefix(word, "noexist")) flags.value = BPF_NOEXIST;
      else flags.value = BPF_EXIST;
      args.skip();
      flags = undefined;
    } else {
      throw new CliError(`expected key or value, got: ${word}`);
    }
  }
}

function valueTypeOf(info: MapInfo): number {
  return info.btfVmlinuxValueTypeId || info.btfValueTypeId;
}
