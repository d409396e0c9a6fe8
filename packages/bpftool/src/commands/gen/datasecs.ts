// The parts of a skeleton that describe global data: one struct per memory-mapped data section (bpftool's
// codegen_datasecs, and the subskeleton's pointer flavour), and the size asserts. Variable types are written by
// libbpf's btf_dump__emit_type_decl (CTypeDeclWriter), one writer per run as bpftool uses one btf_dump.
import type { Btf } from "@bpfkit/btf/btf";
import { CTypeDeclWriter } from "@bpfkit/btf/dump-c";
import type { MapSpec } from "@bpfkit/loader";
import { CliError } from "../../cli/errors.js";
import { datasecIdent, mmapableIdent, sanitizeIdentifier } from "./names.js";

const VAR_STATIC = 0;
const DATASEC = 15;
const ARRAY = 3;
const PTR = 2;
const FUNC_PROTO = 13;
const EINVAL = 22;

/** find_type_for_map: the DATASEC whose field name is the map's, if any. */
export function datasecForMap(btf: Btf, ident: string): number | undefined {
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kind(id) !== DATASEC) continue;
    if (datasecIdent(btf.nameOf(id)) === ident) return id;
  }
  return undefined;
}

/** The section's variables the skeleton exposes (static ones stay hidden), with their secinfo. */
function* exposedVars(btf: Btf, sec: number): Generator<{ index: number; var: number; offset: number; size: number }> {
  for (let i = 0; i < btf.vlen(sec); i++) {
    const v = btf.datasecVarType(sec, i);
    if (btf.linkage(v) === VAR_STATIC) continue;
    yield { index: i, var: v, offset: btf.datasecVarOffset(sec, i), size: btf.datasecVarSize(sec, i) };
  }
}

/** What the generators write to (stdout, as bpftool's printf: what is written stays when a later step fails). */
export type Print = (text: string) => void;

/** codegen_datasec_def: `struct OBJ__SEC { ...variables, padded to their offsets } *SEC;`. */
function datasecDefinition(btf: Btf, decl: CTypeDeclWriter, sec: number, objName: string, print: Print): void {
  const secName = btf.nameOf(sec);
  const secIdent = datasecIdent(secName);
  if (secIdent === undefined) return;
  const stripMods = secName !== ".kconfig";
  print(`\tstruct ${objName}__${secIdent} {\n`);
  let off = 0;
  let pads = 0;
  for (const v of exposedVars(btf, sec)) {
    const varName = btf.nameOf(v.var);
    const needOff = v.offset | 0;
    if (off > needOff) {
      throw new CliError(
        `Something is wrong for ${secName}'s variable #${v.index}: need offset ${needOff}, already at ${off}.\n`,
        { ret: -EINVAL },
      );
    }
    let align = decl.alignOf(btf.refType(v.var));
    if (align <= 0) {
      throw new CliError(`Failed to determine alignment of variable '${varName}': ${align}`, { ret: -EINVAL });
    }
    // bpftool lays data out for a 32-bit host: pointers and longs may be 4-byte aligned there.
    if (align > 4) align = 4;
    const alignOff = Math.trunc((off + align - 1) / align) * align;
    if (alignOff !== needOff) print(`\t\tchar __pad${pads++}[${needOff - off}];\n`);
    const field = sanitizeIdentifier(varName);
    print(`\t\t${decl.declaration(btf.refType(v.var), { fieldName: field, indentLevel: 2, stripMods })};\n`);
    off = (v.offset + v.size) | 0;
  }
  print(`\t} *${secIdent};\n`);
}

/** codegen_datasecs: the data section structs of a skeleton, for each memory-mapped internal map. */
export function datasecDefinitions(btf: Btf, maps: readonly MapSpec[], objName: string, print: Print): void {
  const decl = new CTypeDeclWriter(btf);
  for (const map of maps) {
    const ident = mmapableIdent(map);
    if (ident === undefined) continue;
    const sec = datasecForMap(btf, ident);
    // A data map without DATASEC (say, .rodata.cst16 of string constants only) is still mapped: an empty struct.
    if (sec === undefined) print(`\tstruct ${objName}__${ident} {\n\t} *${ident};\n`);
    else datasecDefinition(btf, decl, sec, objName, print);
  }
}

/** codegen_subskel_datasecs: `struct OBJ__SEC { TYPE *var; ... } SEC;` (arrays and function pointers via typeof). */
export function subskeletonDatasecs(btf: Btf, maps: readonly MapSpec[], objName: string, print: Print): void {
  const decl = new CTypeDeclWriter(btf);
  for (const map of maps) {
    const ident = mmapableIdent(map);
    if (ident === undefined) continue;
    const sec = datasecForMap(btf, ident);
    if (sec === undefined) continue;
    const secName = btf.nameOf(sec);
    const secIdent = datasecIdent(secName);
    if (secIdent === undefined) continue;
    const stripMods = secName !== ".kconfig";
    print(`\tstruct ${objName}__${secIdent} {\n`);
    for (const v of exposedVars(btf, sec)) {
      const typeId = btf.refType(v.var);
      const base = btf.skipModsAndTypedefs(typeId);
      const kind = btf.kind(base);
      const typeOf = kind === ARRAY || (kind === PTR && btf.kind(btf.refType(base)) === FUNC_PROTO);
      const type = decl.declaration(typeId, { indentLevel: 2, stripMods });
      print(`\t\t${typeOf ? `typeof(${type})` : type} *${btf.nameOf(v.var)};\n`);
    }
    print(`\t} ${secIdent};\n`);
  }
}

/** codegen_asserts: `_Static_assert`s on the size of every exposed variable. */
export function sizeAsserts(btf: Btf, maps: readonly MapSpec[], objName: string): string {
  const decl = new CTypeDeclWriter(btf);
  let out =
    "__attribute__((unused)) static void\n" +
    `${objName}__assert(struct ${objName} *s __attribute__((unused)))\n` +
    "{\n" +
    "#ifdef __cplusplus\n" +
    "#define _Static_assert static_assert\n" +
    "#endif\n";
  for (const map of maps) {
    const ident = mmapableIdent(map);
    if (ident === undefined) continue;
    const sec = datasecForMap(btf, ident);
    if (sec === undefined) continue;
    for (const v of exposedVars(btf, sec)) {
      const size = decl.resolveSize(btf.refType(v.var));
      if (size < 0) continue;
      const field = sanitizeIdentifier(btf.nameOf(v.var));
      out += `\t_Static_assert(sizeof(s->${ident}->${field}) == ${size}, "unexpected size of '${field}'");\n`;
    }
  }
  return `${out}#ifdef __cplusplus\n#undef _Static_assert\n#endif\n}\n`;
}
