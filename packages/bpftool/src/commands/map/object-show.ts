// Ours: `map show object FILE [map NAME]` without the kernel: the maps the object would create, as
// BPF_MAP_CREATE would receive them when bpftool 7.1 loads it (prog/dry-load.ts), in `map show`'s layout and JSON
// keys. What the kernel assigns at creation is not there to show:
// - `id` is 0 (no id is 0, so it cannot be mistaken for a map that exists);
// - `memlock` / `bytes_memlock` is left out, as bpftool leaves it out where fdinfo has none;
// - `btf_id` is 0 for a map that would be created with the object's BTF and absent for one without (bpftool
//   shows it only when non-zero; here its presence is the information);
// - `frozen` is what the load leaves (1 for .rodata and .kconfig, which libbpf freezes once written);
// - a prog array's owner (`owner_prog_type`, `owner_jited`) and `pinned` (-f) are left out: no program uses it yet,
//   nothing is pinned.
// The name is libbpf's (the one `map NAME` takes), of which the kernel would keep the first 15 bytes.
import type { MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { usageFailure } from "../../cli/map-spec.js";
import type { JsonWriter } from "../../json-writer.js";
import { type DryMap, dryLoad } from "../prog/dry-load.js";
import { openForBpftool } from "../prog/object.js";
import { writeMapHeaderJson } from "./common.js";
import { mapHeaderPlain } from "./show.js";

/** True when MAP at the cursor is ours, `object FILE [map NAME]` (resolveMaps' order: id, name, pinned, object). */
export function isObjectMapSpec(args: Args): boolean {
  const word = args.peek();
  return word !== undefined && word !== "" && args.is("object");
}

/** The map as `bpf_map_info` would describe it once created, with the fields only the kernel assigns zeroed. */
function infoOf(map: DryMap): MapInfo {
  const { attrs } = map;
  return {
    type: attrs.mapType,
    id: 0,
    keySize: attrs.keySize,
    valueSize: attrs.valueSize,
    maxEntries: attrs.maxEntries,
    flags: attrs.flags ?? 0,
    name: map.name,
    ifindex: 0,
    btfVmlinuxValueTypeId: attrs.btfVmlinuxValueTypeId ?? 0,
    netnsDev: 0n,
    netnsIno: 0n,
    btfId: 0,
    btfKeyTypeId: attrs.btfKeyTypeId ?? 0,
    btfValueTypeId: attrs.btfValueTypeId ?? 0,
    mapExtra: attrs.mapExtra ?? 0n,
  };
}

function writeJson(json: JsonWriter, map: DryMap): void {
  const info = infoOf(map);
  json.startObject();
  writeMapHeaderJson(json, info);
  json.numberField("bytes_key", info.keySize);
  json.numberField("bytes_value", info.valueSize);
  json.numberField("max_entries", info.maxEntries);
  json.numberField("frozen", map.frozen ? 1 : 0);
  if (map.hasBtf) json.numberField("btf_id", 0);
  json.endObject();
}

function plain(map: DryMap): string {
  const info = infoOf(map);
  let out = mapHeaderPlain(info);
  out += `\tkey ${info.keySize}B  value ${info.valueSize}B  max_entries ${info.maxEntries}`;
  if (map.hasBtf || map.frozen) out += "\n\t";
  if (map.hasBtf) out += "btf_id 0";
  if (map.frozen) out += `${map.hasBtf ? "  " : ""}frozen`;
  return `${out}\n`;
}

/** `map show object FILE [map NAME]`, the cursor on `object`; the caller checked the word count. */
export function showObjectMaps(ctx: Context, args: Args): number {
  args.skip();
  if (args.done) throw usageFailure();
  const path = args.next();
  let name: string | undefined;
  if (args.left >= 2 && args.is("map")) {
    args.skip();
    name = args.next();
  }
  const spec = openForBpftool(ctx, path);
  // the maps only: programs are neither typed nor prepared (one the kernel would refuse does not hide the maps)
  const dry = dryLoad(ctx, spec, path, []);
  let maps = dry.maps;
  if (name !== undefined) {
    maps = maps.filter((m) => m.name === name);
    if (maps.length === 0) {
      const names = dry.maps.map((m) => m.name);
      throw new CliError(`no map named '${name}' in ${path}${names.length > 0 ? ` (maps: ${names.join(", ")})` : ""}`);
    }
  }
  // as for a MAP that names nothing: a failure without a message
  if (maps.length === 0) return -1;
  const json = ctx.json;
  if (json && maps.length > 1) json.startArray();
  for (const map of maps) {
    if (json) writeJson(json, map);
    else ctx.out.print(plain(map));
  }
  if (json && maps.length > 1) json.endArray();
  return 0;
}
