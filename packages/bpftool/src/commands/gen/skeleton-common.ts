// What `gen skeleton` and `gen subskeleton` share: their arguments, how the object is named and opened, and the
// tables that hand libbpf the maps and programs (bpftool's codegen_maps_skeleton / codegen_progs_skeleton).
import type { MapSpec, ProgramSpec } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { mapIdent, mmapableIdent, objectNameFromFile, truncateBytes } from "./names.js";
import { type GenObject, openGenObject } from "./object-file.js";

/** `FILE [name OBJECT_NAME]`, as bpftool reads it (REQ_ARGS without usage inside the loop, prefix `name`). */
export function genArgs(args: Args): { file: string; name: string | undefined } {
  args.require(1);
  const file = args.next();
  let name: string | undefined;
  while (!args.done) {
    if (args.left < 2) {
      throw new CliError(`'${args.previous() ?? ""}' needs at least 2 arguments, ${args.left} found`);
    }
    if (!args.is("name")) throw new CliError(`unknown arg ${args.peek()}`);
    args.skip();
    if (name !== undefined && name !== "") throw new CliError("object name already specified");
    name = truncateBytes(args.next());
  }
  return { file, name };
}

/**
 * The object's name (OBJECT_NAME, else from the file name) and the object as libbpf opens it: under that name for a
 * skeleton, under the empty name for a subskeleton (its map names are then the section names).
 */
export function openForGen(
  ctx: Context,
  bytes: Uint8Array,
  file: string,
  given: string | undefined,
  mode: "skeleton" | "subskeleton",
): { name: string; object: GenObject } {
  const name = given !== undefined && given !== "" ? given : objectNameFromFile(file);
  const object = mode === "skeleton" ? openGenObject(ctx, bytes, name, "errno") : openGenObject(ctx, bytes, "", -1);
  return { name, object };
}

/** codegen_maps_skeleton: `s->maps[i]` for every map with a field (and its memory for mapped data maps). */
export function mapsTable(maps: readonly MapSpec[], count: number, mmaped: boolean): string {
  if (count === 0) return "";
  let out =
    "\n" +
    "\t/* maps */\n" +
    `\ts->map_cnt = ${count};\n` +
    "\ts->map_skel_sz = sizeof(*s->maps);\n" +
    "\ts->maps = (struct bpf_map_skeleton *)calloc(s->map_cnt, s->map_skel_sz);\n" +
    "\tif (!s->maps) {\n" +
    "\t\terr = -ENOMEM;\n" +
    "\t\tgoto err;\n" +
    "\t}\n";
  let i = 0;
  for (const map of maps) {
    const ident = mapIdent(map);
    if (ident === undefined) continue;
    out += `\n\ts->maps[${i}].name = "${map.name}";\n\ts->maps[${i}].map = &obj->maps.${ident};\n`;
    if (mmaped && mmapableIdent(map) !== undefined) out += `\ts->maps[${i}].mmaped = (void **)&obj->${ident};\n`;
    i++;
  }
  return out;
}

/** codegen_progs_skeleton: `s->progs[i]` for every program (with its link in a skeleton). */
export function progsTable(programs: readonly ProgramSpec[], links: boolean): string {
  if (programs.length === 0) return "";
  let out =
    "\n" +
    "\t/* programs */\n" +
    `\ts->prog_cnt = ${programs.length};\n` +
    "\ts->prog_skel_sz = sizeof(*s->progs);\n" +
    "\ts->progs = (struct bpf_prog_skeleton *)calloc(s->prog_cnt, s->prog_skel_sz);\n" +
    "\tif (!s->progs) {\n" +
    "\t\terr = -ENOMEM;\n" +
    "\t\tgoto err;\n" +
    "\t}\n";
  programs.forEach((p, i) => {
    out += `\n\ts->progs[${i}].name = "${p.name}";\n\ts->progs[${i}].prog = &obj->progs.${p.name};\n`;
    if (links) out += `\ts->progs[${i}].link = &obj->links.${p.name};\n`;
  });
  return out;
}
