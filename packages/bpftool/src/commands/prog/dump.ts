// `prog dump xlated PROG [file FILE | opcodes | visual | linum]` and `prog dump jited PROG [file FILE | opcodes |
// linum]` (bpftool's do_dump / prog_dump). Native code is not disassembled: `jited` prints its bytes, per JITed
// function under its prototype and kernel symbol, in the hex layout of bpftool's `opcodes` lines.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { type KernelSymbol, parseKallsyms } from "@bpfkit/asm";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Backend, Fd, ProgInfo } from "@bpfkit/loader";
import { type Args, type CommandResult, isPrefix } from "../../cli/args.js";
import { type Context, vmRefusal } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { progBtf, resolveProgTarget } from "../../cli/prog-spec.js";
import { xlatedCfg } from "./cfg.js";
import { funcSignature } from "./func-sig.js";
import { headerPlain, printHeaderJson, progInfoOrThrow } from "./show.js";
import { usage } from "./usage.js";
import { xlatedJson, xlatedPlain } from "./xlated.js";

export type Mode = "xlated" | "jited";

export interface DumpOptions {
  readonly mode: Mode;
  readonly file: string | undefined;
  readonly opcodes: boolean;
  readonly visual: boolean;
  readonly linum: boolean;
}

/** /proc/kallsyms, read once per dump (bpftool's kernel_syms_load). */
function kallsyms(): KernelSymbol[] {
  try {
    return parseKallsyms(readFileSync("/proc/kallsyms", "utf8"));
  } catch {
    return [];
  }
}

/** bpf_prog_linfo__new's checks: records to read, each at least up to file_name_off. */
export function usableLineInfo(info: Pick<ProgInfo, "nrLineInfo">, recordSize: number): boolean {
  return info.nrLineInfo > 0 && recordSize >= 4;
}

export function writeFile(path: string, bytes: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, "w", 0o600);
  } catch (error) {
    throw new CliError(`can't open file ${path}: ${describeErrno(error)}`, { cause: error });
  }
  try {
    const n = writeSync(fd, bytes);
    if (n !== bytes.length) throw new CliError("error writing output file: short write");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`error writing output file: ${describeErrno(error)}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

const hexBytes = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/** A function's native code as `OFFSET:\tBYTES` lines of 16 bytes (no disassembler here). */
function jitedLines(code: Uint8Array): { pc: number; bytes: Uint8Array }[] {
  const out: { pc: number; bytes: Uint8Array }[] = [];
  for (let pc = 0; pc < code.length; pc += 16) out.push({ pc, bytes: code.subarray(pc, pc + 16) });
  return out;
}

function printJitedCode(ctx: Context, code: Uint8Array): void {
  const json = ctx.json;
  if (json) {
    json.startArray();
    for (const { pc, bytes } of jitedLines(code)) {
      json.startObject();
      json.name("pc").unescaped(`0x${pc.toString(16)}`);
      json.name("opcodes").startArray();
      for (const b of bytes) json.unescaped(`0x${b.toString(16).padStart(2, "0")}`);
      json.endArray();
      json.endObject();
    }
    json.endArray();
    return;
  }
  let out = "";
  for (const { pc, bytes } of jitedLines(code)) out += `${pc.toString(16).padStart(4, " ")}:\t${hexBytes(bytes)}\n`;
  ctx.out.print(out);
}

/** The jited image, per function when the kernel gives the function layout (prototype, symbol, bytes). */
function dumpJited(ctx: Context, backend: KernelBackend, fd: Fd, info: ProgInfo): void {
  const image = backend.progJitedImage(fd);
  if (image.funcLens.length === 0) {
    printJitedCode(ctx, image.insns);
    return;
  }
  const btf = info.btfId !== 0 ? progBtf(backend, info.btfId) : undefined;
  const { funcInfo } = backend.progExtInfo(fd);
  const symbols = image.ksyms.length > 0 ? kallsyms() : [];
  const byAddress = new Map(symbols.map((s) => [s.address, s.name] as const));
  const json = ctx.json;
  json?.startArray();
  let offset = 0;
  for (let i = 0; i < image.funcLens.length; i++) {
    const ksym = image.ksyms[i];
    const name = ksym === undefined ? "unknown" : (byAddress.get(ksym) ?? `0x${ksym.toString(16).padStart(16, "0")}`);
    let proto = "";
    if (btf !== undefined && funcInfo.recordSize >= 8 && (i + 1) * funcInfo.recordSize <= funcInfo.bytes.length) {
      const at = i * funcInfo.recordSize + 4;
      const typeId = new DataView(funcInfo.bytes.buffer, funcInfo.bytes.byteOffset).getUint32(at, true);
      proto = funcSignature(btf, typeId);
    }
    const code = image.insns.subarray(offset, offset + (image.funcLens[i] ?? 0));
    offset += image.funcLens[i] ?? 0;
    if (json) {
      json.startObject();
      if (proto !== "") json.stringField("proto", proto);
      json.stringField("name", name);
      json.name("insns");
      printJitedCode(ctx, code);
      json.endObject();
    } else {
      if (proto !== "") ctx.out.print(`${proto}:\n`);
      ctx.out.print(`${name}:\n`);
      printJitedCode(ctx, code);
      ctx.out.print("\n");
    }
  }
  json?.endArray();
}

/** `dump jited` with --backend vm. */
function notJited(): CliError {
  return vmRefusal(
    "does not JIT programs: there is no native code to dump (it runs the instructions 'prog dump xlated' shows)",
  );
}

/** bpftool's prog_dump for one program. */
function dumpOne(ctx: Context, backend: Backend, fd: Fd, info: ProgInfo, options: DumpOptions): void {
  // the kernel, or the VM (--backend vm), which has no JITed image
  const kernel = backend.name === "kernel" ? (backend as KernelBackend) : undefined;
  let bytes: Uint8Array;
  if (options.mode === "jited") {
    if (kernel === undefined) throw notJited();
    if (info.jitedProgLen === 0) {
      ctx.info("no instructions returned");
      throw new CliError("no instructions returned", { silent: true });
    }
    bytes = kernel.progJitedImage(fd).insns;
  } else {
    bytes = info.xlatedProgLen === 0 ? new Uint8Array(0) : backend.progXlatedInsns(fd);
    if (bytes.length === 0) throw new CliError("error retrieving insn dump: kernel.kptr_restrict set?");
  }
  const btf = info.btfId !== 0 ? progBtf(backend, info.btfId) : undefined;
  if (info.btfId !== 0 && btf === undefined) throw new CliError("failed to get btf");
  const ext = backend.progExtInfo(fd);
  let lineInfo = info.nrLineInfo > 0 ? ext.lineInfo : undefined;
  if (lineInfo !== undefined && !usableLineInfo(info, lineInfo.recordSize)) {
    ctx.info("error in processing bpf_line_info.  continue without it.");
    lineInfo = undefined;
  }
  if (options.file !== undefined) {
    writeFile(options.file, bytes);
    ctx.json?.null();
    return;
  }
  if (options.mode === "jited") {
    dumpJited(ctx, kernel!, fd, info);
    return;
  }
  if (options.visual) {
    if (ctx.json) ctx.json.null();
    else ctx.out.print(xlatedCfg(bytes, kallsyms()));
    return;
  }
  const jitedKsyms = kernel?.progJitedImage(fd, false).ksyms ?? [];
  const input = {
    insns: bytes,
    btf,
    funcInfo: ext.funcInfo,
    lineInfo,
    kallsyms: kallsyms(),
    jitedKsyms,
    opcodes: options.opcodes,
    linum: options.linum,
  };
  if (ctx.json) xlatedJson(ctx.json, input);
  else ctx.out.print(xlatedPlain(input));
}

/** The options after PROG (one of file, opcodes, visual, linum); undefined when words are left (usage). */
export function dumpOptions(args: Args, mode: Mode, programs: number): DumpOptions | undefined {
  let file: string | undefined;
  let opcodes = false;
  let visual = false;
  let linum = false;
  const next = args.peek();
  if (next !== undefined && args.is("file")) {
    args.skip();
    if (args.done) throw new CliError("expected file path");
    if (programs > 1) throw new CliError("several programs matched");
    file = args.next();
  } else if (next !== undefined && args.is("opcodes")) {
    opcodes = true;
    args.skip();
  } else if (next !== undefined && args.is("visual")) {
    if (programs > 1) throw new CliError("several programs matched");
    visual = true;
    args.skip();
  } else if (next !== undefined && args.is("linum")) {
    linum = true;
    args.skip();
  }
  if (!args.done) return undefined;
  return { mode, file, opcodes, visual, linum };
}

export async function doDump(ctx: Context, args: Args): Promise<CommandResult> {
  const word = args.peek();
  let mode: Mode;
  if (isPrefix(word, "jited")) mode = "jited";
  else if (isPrefix(word, "xlated")) mode = "xlated";
  else throw new CliError(`expected 'xlated' or 'jited', got: ${word ?? "(null)"}`);
  args.skip();
  if (args.left < 2) return usage(ctx);
  if (mode === "jited" && ctx.options.backend === "vm") throw notJited();
  // ours: the instructions of an object file as they would be loaded, read from the file alone (no kernel, no root)
  if (mode === "xlated") {
    const { isReadOnlyObjectDump, dumpObjectXlated } = await import("./object-dump.js");
    if (isReadOnlyObjectDump(args)) return dumpObjectXlated(ctx, args);
  }
  const { fds } = await resolveProgTarget(ctx, args);
  if (fds.length === 0) return -1;
  // where PROG's programs live: the kernel, or the VM for `object FILE` with --backend vm
  const backend = await ctx.objectBackend();
  const closeAll = () => {
    for (const fd of fds) fd.close();
  };
  let options: DumpOptions | undefined;
  try {
    options = dumpOptions(args, mode, fds.length);
  } catch (error) {
    closeAll();
    throw error;
  }
  if (options === undefined) {
    closeAll();
    return usage(ctx);
  }
  const json = ctx.json;
  const several = fds.length > 1;
  if (json && several) json.startArray();
  let ret = 0;
  try {
    for (let i = 0; i < fds.length; i++) {
      const fd = fds[i] as Fd;
      const info = progInfoOrThrow(backend, fd);
      if (json && several) {
        json.startObject();
        printHeaderJson(ctx, backend, fd, info);
        json.name("insns");
      } else if (several) {
        ctx.out.print(headerPlain(backend, fd, info));
      }
      try {
        dumpOne(ctx, backend, fd, info, options);
      } finally {
        if (json && several) json.endObject();
        else if (several && i !== fds.length - 1) ctx.out.print("\n");
      }
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (!error.silent) {
      if (json) json.startObject().name("error").unescaped(error.message).endObject();
      else ctx.out.error(`Error: ${error.message}\n`);
    }
    ret = error.ret;
  } finally {
    closeAll();
  }
  if (json && several) json.endArray();
  return ret;
}
