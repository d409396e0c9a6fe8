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
    args.reqArgs(2);
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

/**
 * The header's start up to the object struct's first members: the banner line differs (a skeleton names bpftool),
 * and the two handle fields come in the order each flavour declares them.
 */
export function headerStart(name: string, guard: string, banner: string, members: readonly string[]): string {
  return (
    "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n" +
    "\n" +
    `/* ${banner} */\n` +
    `#ifndef ${guard}\n` +
    `#define ${guard}\n` +
    "\n" +
    "#include <errno.h>\n" +
    "#include <stdlib.h>\n" +
    "#include <bpf/libbpf.h>\n" +
    "\n" +
    `struct ${name} {\n` +
    members.map((m) => `\t${m};\n`).join("")
  );
}

/** The object struct's `maps` and `progs` members (and `links` in a skeleton), one pointer per named object. */
export function structMembers(
  maps: readonly MapSpec[],
  mapCount: number,
  programs: readonly ProgramSpec[],
  links: boolean,
): string {
  let out = "";
  if (mapCount > 0) {
    out += "\tstruct {\n";
    for (const map of maps) {
      const ident = mapIdent(map);
      if (ident !== undefined) out += `\t\tstruct bpf_map *${ident};\n`;
    }
    out += "\t} maps;\n";
  }
  if (programs.length > 0) {
    out += `\tstruct {\n${programs.map((p) => `\t\tstruct bpf_program *${p.name};\n`).join("")}\t} progs;\n`;
    if (links) out += `\tstruct {\n${programs.map((p) => `\t\tstruct bpf_link *${p.name};\n`).join("")}\t} links;\n`;
  }
  return out;
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
