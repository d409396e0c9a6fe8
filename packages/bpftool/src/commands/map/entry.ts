// One map entry as `map dump`, `lookup`, `peek` and `pop` print it: hex arrays plus "formatted" in JSON, bpftool's
// "key: .. value: .." layout in plain text, or the BTF dumper's pretty form when the map has BTF.
import type { Btf } from "@bpfkit/btf";
import { possibleCpus } from "@bpfkit/kernel";
import type { MapInfo } from "@bpfkit/loader";
import { formatBtfValue } from "../../btf-dumper/index.js";
import type { Context } from "../../cli/context.js";
import { strerror } from "../../cli/errors.js";
import { JsonWriter } from "../../json-writer.js";
import { hexBytes, isMapOfMaps, isMapOfProgs, isPerCpu, perCpuStride, valueTypeId } from "./common.js";

const ENOENT = 2;
const ENOSPC = 28;
const BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20;

/** bpftool's do_dump_btf: {key, value} or {key, values:[{cpu, value}]} formatted by the map's BTF. */
export function writeBtfEntry(
  jw: JsonWriter,
  btf: Btf,
  info: MapInfo,
  key: Uint8Array,
  value: Uint8Array,
  plainText: boolean,
): number {
  const options = { plainText };
  let ret = 0;
  jw.startObject();
  if (info.btfKeyTypeId !== 0) {
    jw.name("key");
    ret = formatBtfValue(jw, btf, info.btfKeyTypeId, key, options);
    if (ret) {
      jw.endObject();
      return ret;
    }
  }
  const valueId = valueTypeId(info);
  if (!isPerCpu(info.type)) {
    jw.name("value");
    ret = formatBtfValue(jw, btf, valueId, value, options);
  } else {
    jw.name("values").startArray();
    const step = perCpuStride(info);
    const cpus = possibleCpus();
    for (let cpu = 0; cpu < cpus; cpu++) {
      jw.startObject().numberField("cpu", cpu).name("value");
      ret = formatBtfValue(jw, btf, valueId, value.subarray(cpu * step), options);
      jw.endObject();
      if (ret) break;
    }
    jw.endArray();
  }
  jw.endObject();
  return ret;
}

/** bpftool's print_entry_json: the raw bytes, and "formatted" when the map has BTF. */
export function writeEntryJson(
  jw: JsonWriter,
  info: MapInfo,
  key: Uint8Array,
  value: Uint8Array,
  btf: Btf | undefined,
): void {
  jw.startObject();
  jw.name("key");
  jw.hexArray(key, info.keySize);
  if (!isPerCpu(info.type)) {
    jw.name("value");
    jw.hexArray(value, info.valueSize);
  } else {
    const step = perCpuStride(info);
    const cpus = possibleCpus();
    jw.name("values").startArray();
    for (let cpu = 0; cpu < cpus; cpu++) {
      jw.startObject().numberField("cpu", cpu).name("value");
      jw.hexArray(value.subarray(cpu * step), info.valueSize);
      jw.endObject();
    }
    jw.endArray();
  }
  if (btf) {
    jw.name("formatted");
    writeBtfEntry(jw, btf, info, key, value, false);
  }
  jw.endObject();
}

/** bpftool's print_entry_plain. */
export function entryPlain(info: MapInfo, key: Uint8Array, value: Uint8Array): string {
  let out = "";
  if (!isPerCpu(info.type)) {
    const breakNames = info.keySize > 16 || info.valueSize > 16;
    const singleLine = info.keySize + info.valueSize <= 24 && !breakNames;
    if (info.keySize) out += `key:${breakNames ? "\n" : " "}${hexBytes(key, info.keySize)}${singleLine ? "  " : "\n"}`;
    if (info.valueSize) out += `value:${breakNames ? "\n" : " "}${hexBytes(value, info.valueSize)}`;
    return `${out}\n`;
  }
  const step = perCpuStride(info);
  if (info.keySize) out += `key:\n${hexBytes(key, info.keySize)}\n`;
  if (info.valueSize) {
    const cpus = possibleCpus();
    for (let cpu = 0; cpu < cpus; cpu++) {
      const sep = info.valueSize > 16 ? "\n" : " ";
      out += `value (CPU ${String(cpu).padStart(2, "0")}):${sep}${hexBytes(value.subarray(cpu * step), info.valueSize)}\n`;
    }
  }
  return out;
}

/** bpftool's print_entry_error_msg. */
function entryErrorPlain(info: MapInfo, key: Uint8Array, message: string): string {
  const breakNames = info.keySize > 16 || message.length > 16;
  const singleLine = info.keySize + message.length <= 24 && !breakNames;
  const sep = breakNames ? "\n" : " ";
  return `key:${sep}${hexBytes(key, info.keySize)}${singleLine ? "  " : "\n"}value:${sep}${message}\n`;
}

/**
 * bpftool's print_entry_error: a lookup that failed during a dump. Empty slots of prog arrays and map-in-map
 * arrays (ENOENT) are skipped silently. In plain text the message goes straight to stdout, between the entries.
 */
export function writeEntryError(
  ctx: Context,
  plainWriter: JsonWriter | undefined,
  info: MapInfo,
  key: Uint8Array,
  errno: number,
): void {
  if ((isMapOfMaps(info.type) || isMapOfProgs(info.type)) && errno === ENOENT) return;
  const json = ctx.json;
  if (json) {
    json.startObject().name("key");
    json.hexArray(key, info.keySize);
    json.name("value").startObject().stringField("error", strerror(errno)).endObject();
    json.endObject();
    return;
  }
  let message: string;
  if (errno === ENOENT) message = "<no entry>";
  else if (errno === ENOSPC && info.type === BPF_MAP_TYPE_REUSEPORT_SOCKARRAY) message = "<cannot read>";
  else message = strerror(errno);
  plainWriter?.flush();
  ctx.out.print(entryErrorPlain(info, key, message));
}

/** A pretty writer on stdout for plain-text BTF output (bpftool's get_btf_writer). */
export function plainBtfWriter(ctx: Context): JsonWriter {
  return new JsonWriter(true, (bytes) => ctx.out.printBytes(bytes));
}

/** bpftool's print_key_value: one looked-up entry, in the form the output mode and the map's BTF call for. */
export function printKeyValue(
  ctx: Context,
  info: MapInfo,
  key: Uint8Array,
  value: Uint8Array,
  btf: Btf | undefined,
): void {
  if (ctx.json) {
    writeEntryJson(ctx.json, info, key, value, btf);
  } else if (btf) {
    const jw = plainBtfWriter(ctx);
    writeBtfEntry(jw, btf, info, key, value, true);
    jw.finish();
  } else {
    ctx.out.print(entryPlain(info, key, value));
  }
}
