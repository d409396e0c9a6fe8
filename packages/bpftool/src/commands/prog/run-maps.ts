// Ours: `prog run object FILE ... dump_maps`. After the run, every map of the object, in the object's order, as
// `map dump` prints it: with -j under "maps" keyed by map name (each an array of `map dump` entries), in plain
// text one "map NAME:" block each. Built from the map commands' entry writers so the forms stay identical.
import type { Collection } from "@bpfkit/kernel";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { mapValueBtf } from "../map/common.js";
import { entryPlain, plainBtfWriter, writeBtfEntry, writeEntryError, writeEntryJson } from "../map/entry.js";
import { walkMap } from "../map/iterate.js";

export async function dumpCollectionMaps(ctx: Context, collection: Collection): Promise<void> {
  // The maps live where the object was loaded (the VM with --backend vm).
  const backend = await ctx.objectBackend();
  const json = ctx.json;
  json?.name("maps").startObject();
  for (const [name, handle] of collection.maps) {
    const fd = handle.fd;
    let info: ReturnType<typeof backend.mapInfo>;
    try {
      info = backend.mapInfo(fd);
    } catch (error) {
      throw new CliError(`can't get map info: ${describeErrno(error)}`, { cause: error });
    }
    const btf = await mapValueBtf(ctx, info, backend);
    if (json) {
      json.name(name).startArray();
      walkMap(backend, fd, info, (key, value, errno) => {
        if (value === undefined) writeEntryError(ctx, undefined, info, key, errno);
        else writeEntryJson(json, info, key, value, btf);
      });
      json.endArray();
      continue;
    }
    ctx.out.print(`map ${name}:\n`);
    const writer = btf ? plainBtfWriter(ctx) : undefined;
    writer?.startArray();
    let found = 0;
    walkMap(backend, fd, info, (key, value, errno) => {
      if (value === undefined) {
        writeEntryError(ctx, writer, info, key, errno);
        return;
      }
      found++;
      if (writer && btf) writeBtfEntry(writer, btf, info, key, value, true);
      else ctx.out.print(entryPlain(info, key, value));
    });
    if (writer) {
      writer.endArray();
      writer.finish();
    } else {
      ctx.out.print(`Found ${found} element${found !== 1 ? "s" : ""}\n`);
    }
  }
  json?.endObject();
}
