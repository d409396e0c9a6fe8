// `btf dump` in raw format: text, or JSON with -j/-p ({"types":[...]}). Whole dumps stream in large byte chunks
// straight to stdout; a map's key/value types go one by one, as bpftool's root ids.
import type { Btf } from "@bpfkit/btf/btf";
import { dumpBtfJson, dumpBtfJsonTo, jsonType } from "@bpfkit/btf/dump-json";
import { dumpBtfRawTo, rawType } from "@bpfkit/btf/dump-raw";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { btfEngine } from "./btf-file.js";
import { replayJson } from "./json-replay.js";

/** bpftool's dump_btf_raw: one type after another, as text or as `{"types":[...]}`. */
export function writeRawDump(ctx: Context, btf: Btf, roots: readonly number[]): void {
  const engine = btfEngine() === "js" ? { engine: "js" as const } : {};
  const json = ctx.json;
  if (roots.length > 0) {
    const one = (id: number) => {
      try {
        return json ? jsonType(btf, id) : rawType(btf, id);
      } catch (error) {
        throw new CliError(`type id ${id} is not in the BTF (${btf.typeCount - 1} types)`, { cause: error });
      }
    };
    const types = roots.map(one);
    if (!json) ctx.out.print(types.join(""));
    else if (json.pretty) replayJson(`{"types":[${types.join(",")}]}`, json);
    else json.raw(`{"types":[${types.join(",")}]}`);
    return;
  }
  if (!json) {
    dumpBtfRawTo(btf, (chunk) => ctx.out.printBytes(chunk), engine);
    return;
  }
  if (json.pretty) {
    replayJson(dumpBtfJson(btf, engine), json);
    return;
  }
  // Compact JSON goes out as the dumper writes it; the writer only learns that a value was written (it ends the
  // document with its own newline, so the dump's final one is held back and dropped).
  json.raw("");
  json.flush();
  let held: number | undefined;
  dumpBtfJsonTo(
    btf,
    (chunk) => {
      if (chunk.length === 0) return;
      if (held !== undefined) ctx.out.printBytes(Uint8Array.of(held));
      ctx.out.printBytes(chunk.subarray(0, chunk.length - 1));
      held = chunk[chunk.length - 1];
    },
    engine,
  );
}
