// Ours: `prog dump xlated object FILE [program NAME] [opcodes | linum | file FILE]` without the kernel. The
// instructions are the ones BPF_PROG_LOAD would receive (dry-load.ts: CO-RE done, subprograms linked, relocations
// applied), disassembled in bpftool's xlated layout with the object's func_info and line_info. They are not what
// the kernel shows for the loaded program: the verifier rewrites context accesses, inlines some helpers, turns
// helper ids into kernel addresses and map fds into map pointers (shown as ids). Here:
// - a map reference names the map where bpftool shows its id: `map[name:proto_count]`, and for global data
//   `map[name:xdp_pars.bss][0]+8` (no map exists, so there is no id; the name is libbpf's, the one
//   `map show object FILE map NAME` takes);
// - a helper call is `call bpf_map_lookup_elem#1` (name and helper id, as the kernel's disassembler prints code
//   that was not loaded); a call to a subprogram is `call pc+N` (N relative, no JITed symbol);
// - with several programs, each gets bpftool's header with id 0 (none assigned), the tag the kernel would compute
//   (a hash of the instructions with map references zeroed), the name the kernel would show and `gpl`.
// `visual` is not among these options: its graph wants the kernel's form of calls, so it still loads the object.
import { bpftoolProgType, bpftoolXlatedSymbolizer, PseudoLd, type Symbolizer } from "@bpfkit/asm";
import { Btf, Kind } from "@bpfkit/btf";
import { type Args, type CommandResult, isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, usageError } from "../../cli/errors.js";
import { tagHash } from "../../cli/kernel-facts.js";
import { type DryLoad, type DryProgram, dryEnvironment, dryLoad } from "./dry-load.js";
import { dumpOptions, usableLineInfo, writeFile } from "./dump.js";
import { prepareForBpftool } from "./object.js";
import { progTag } from "./tag.js";
import { usage } from "./usage.js";
import { xlatedJson, xlatedPlain } from "./xlated.js";

const BPF_OBJ_NAME_LEN = 16;

/** True when PROG is `object FILE ...` and the dump only reads (not `visual`): then no kernel is needed. */
export function isReadOnlyObjectDump(args: Args): boolean {
  const word = args.peek();
  // bpftool's order of PROG keywords: "" is a prefix of `id`, which comes first
  if (word === undefined || word === "" || !args.is("object")) return false;
  const option = args.peek(args.peek(2) === "program" ? 4 : 2);
  return !(option !== undefined && option !== "" && isPrefix(option, "visual"));
}

function value(args: Args): string {
  const keyword = args.previous() ?? "";
  if (args.done) throw usageError(`'${keyword}' needs at least 1 arguments, 0 found`);
  return args.next();
}

/** `object FILE [program NAME]`, as the PROG spec reads it. */
function objectWords(args: Args): { path: string; program: string | undefined } {
  args.skip();
  const path = value(args);
  let program: string | undefined;
  if (args.peek() === "program") {
    args.skip();
    program = value(args);
  }
  return { path, program };
}

/** The kernel's license_is_gpl_compatible. */
function gplCompatible(license: string): boolean {
  return ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"].includes(
    license,
  );
}

/**
 * The name `prog show` would give the loaded program (bpftool's get_prog_full_name): the 15 bytes the kernel keeps,
 * or when all 15 are used, the name of the program's first BTF function.
 */
function shownName(program: DryProgram, btf: Btf | undefined): string {
  const name = program.attrs.name ?? "";
  if (Buffer.byteLength(name) < BPF_OBJ_NAME_LEN - 1) return name;
  const funcInfo = program.attrs.funcInfo;
  if (btf === undefined || program.attrs.progBtf === undefined || funcInfo === undefined) return name;
  if (funcInfo.bytes.length < 8) return name;
  const typeId = new DataView(funcInfo.bytes.buffer, funcInfo.bytes.byteOffset).getUint32(4, true);
  if (typeId === 0 || typeId >= btf.typeCount || btf.kind(typeId) !== Kind.FUNC) return name;
  return btf.nameOf(typeId);
}

function typeText(progType: number): string {
  const type = bpftoolProgType(progType);
  return typeof type === "string" ? `${type}  ` : `type ${progType}  `;
}

/** bpftool's print_prog_header_plain for a program that has no id yet (0). */
function headerPlain(program: DryProgram, btf: Btf | undefined): string {
  const name = shownName(program, btf);
  let out = `0: ${typeText(program.attrs.progType)}`;
  if (name !== "") out += `name ${name}  `;
  out += `tag ${progTag(
    program.attrs.insns,
    tagHash(() => dryEnvironment().vmlinux),
  )}`;
  if (gplCompatible(program.attrs.license)) out += "  gpl";
  return `${out}\n`;
}

/** bpftool's print_prog_header_json, id 0 and no run counters. */
function headerJson(ctx: Context, program: DryProgram, btf: Btf | undefined): void {
  const json = ctx.json!;
  json.numberField("id", 0);
  const type = bpftoolProgType(program.attrs.progType);
  if (typeof type === "string") json.stringField("type", type);
  else json.numberField("type", program.attrs.progType);
  const name = shownName(program, btf);
  if (name !== "") json.stringField("name", name);
  json.name("tag").unescaped(
    progTag(
      program.attrs.insns,
      tagHash(() => dryEnvironment().vmlinux),
    ),
  );
  json.boolField("gpl_compatible", gplCompatible(program.attrs.license));
}

/** Map references by map name (there is no id), the rest as bpftool names it. */
export function dryLoadSymbolizer(mapNames: ReadonlyMap<number, string>): Symbolizer {
  const bpftool = bpftoolXlatedSymbolizer({ kallsyms: [] });
  return {
    // undefined: helpers by name and id, subprogram calls as pc+N (the disassembler's own forms)
    call: () => undefined,
    imm64(insn, value) {
      const name = mapNames.get(insn.imm);
      if (name !== undefined && insn.src === PseudoLd.MAP_FD) return `map[name:${name}]`;
      if (name !== undefined && insn.src === PseudoLd.MAP_VALUE)
        return `map[name:${name}][0]+${(insn.immHi ?? 0) >>> 0}`;
      return bpftool.imm64?.(insn, value) ?? `0x${value.toString(16)}`;
    },
  };
}

function objectBtf(dry: DryLoad): Btf | undefined {
  if (dry.spec.btf === undefined) return undefined;
  try {
    return Btf.parse(dry.spec.btf, { checkCycles: false });
  } catch (error) {
    throw new CliError("failed to get btf", { cause: error });
  }
}

function dumpOne(
  ctx: Context,
  dry: DryLoad,
  program: DryProgram,
  btf: Btf | undefined,
  options: { file?: string; opcodes: boolean; linum: boolean },
): void {
  const { attrs } = program;
  if (options.file !== undefined) {
    writeFile(options.file, attrs.insns);
    ctx.json?.null();
    return;
  }
  const withBtf = attrs.progBtf !== undefined ? btf : undefined;
  const funcInfo = withBtf !== undefined ? attrs.funcInfo : undefined;
  let lineInfo = withBtf !== undefined && (attrs.lineInfo?.bytes.length ?? 0) > 0 ? attrs.lineInfo : undefined;
  if (lineInfo !== undefined && !usableLineInfo({ nrLineInfo: lineInfo.bytes.length }, lineInfo.recordSize)) {
    ctx.info("error in processing bpf_line_info.  continue without it.");
    lineInfo = undefined;
  }
  const input = {
    insns: attrs.insns,
    btf: withBtf,
    funcInfo: funcInfo ?? { bytes: new Uint8Array(0), recordSize: 8 },
    lineInfo,
    kallsyms: [],
    jitedKsyms: [],
    opcodes: options.opcodes,
    linum: options.linum,
    symbolizer: dryLoadSymbolizer(dry.mapNames),
  };
  if (ctx.json) xlatedJson(ctx.json, input);
  else ctx.out.print(xlatedPlain(input));
}

/** `prog dump xlated object FILE [program NAME] [opcodes | linum | file FILE]`, the cursor on `object`. */
export async function dumpObjectXlated(ctx: Context, args: Args): Promise<CommandResult> {
  const { path, program } = objectWords(args);
  const spec = prepareForBpftool(ctx, { path, program, transient: true });
  const dry = dryLoad(ctx, spec, path, program === undefined ? undefined : [program]);
  // as for a name that matches nothing: a failure without a message
  if (dry.programs.length === 0) return -1;
  const options = dumpOptions(args, "xlated", dry.programs.length);
  if (options === undefined) return usage(ctx);
  const btf = objectBtf(dry);
  const json = ctx.json;
  const several = dry.programs.length > 1;
  if (json && several) json.startArray();
  dry.programs.forEach((p, i) => {
    if (json && several) {
      json.startObject();
      headerJson(ctx, p, btf);
      json.name("insns");
    } else if (several) {
      ctx.out.print(headerPlain(p, btf));
    }
    dumpOne(ctx, dry, p, btf, options);
    if (json && several) json.endObject();
    else if (several && i !== dry.programs.length - 1) ctx.out.print("\n");
  });
  if (json && several) json.endArray();
  return 0;
}
