// `bpftool gen min_core_btf INPUT OUTPUT OBJECT...` (BTFGen): the part of INPUT's BTF (a kernel's) that the
// objects' CO-RE relocations use, written to OUTPUT as raw BTF, byte for byte bpftool 7.1's. The work is
// @bpfkit/btf's minimizeCoreBtf; this is bpftool's command around it: the same steps, messages and statuses.
import { writeFileSync } from "node:fs";
import {
  btfNameIndex,
  CoreRelocationError,
  coreView,
  type MinCoreBtfInput,
  minimizeCoreBtf,
  parseCoreRelos,
} from "@bpfkit/btf";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, errnoOf, strerror as errnoText } from "../../cli/errors.js";
import { reportError } from "../../main.js";
import { printLibbpfWarnings } from "../btf/base.js";
import { type BtfFile, LibbpfError, readBtfFile } from "../btf/btf-file.js";

const E2BIG = 7;

/** strerror(), errno 0 included ("Success": bpftool prints errno where nothing has set it). */
function strerror(errno: number): string {
  return errno === 0 ? "Success" : errnoText(errno);
}
const EINVAL = 22;
const EPROTO = 71;

/**
 * What errno holds after libbpf parsed an object: its raw-BTF attempt leaves EPROTO behind for an ELF object
 * (bpftool prints that strerror() in later messages that have no errno of their own).
 */
function errnoAfterParse(file: BtfFile): number {
  return file.isElf ? EPROTO : 0;
}

/** btfgen_record_obj's reading of one object: its BTF and CO-RE relocations, or what to report. */
function readObject(path: string): { input: MinCoreBtfInput; errno: number } {
  let file: BtfFile;
  try {
    file = readBtfFile(path, undefined, true);
  } catch (error) {
    if (!(error instanceof LibbpfError)) throw error;
    throw new RecordError(-error.errno, error.errno, strerror(error.errno), error);
  }
  const errno = errnoAfterParse(file);
  if (file.ext === undefined) throw new RecordError(-EINVAL, errno, "section .BTF.ext not found");
  const btf = coreView(file.btf);
  try {
    return { input: { name: path, btf, sections: parseCoreRelos(file.ext, btf) }, errno };
  } catch (error) {
    throw new RecordError(-EINVAL, EINVAL, strerror(EINVAL), error);
  }
}

/** An object that could not be read: bpftool's return value, the errno its next message prints, and why. */
class RecordError extends Error {
  constructor(
    readonly ret: number,
    readonly errno: number,
    readonly why: string,
    override readonly cause?: unknown,
  ) {
    super(why);
  }
}

/** libbpf's line for a relocation BTFGen could not resolve (the program is named by its section). */
function relocationLine(error: CoreRelocationError): string {
  // Our ambiguity messages name the two candidates; libbpf's stop before that.
  const text = error.reason.replace(/ \(candidate \[.*\)$/, "");
  const reason = text.startsWith("relo ") ? text : `relo #${error.reloIndex ?? 0}: ${text}`;
  return `libbpf: prog '${error.section ?? ""}': ${reason}\n`;
}

interface ObjectInput extends MinCoreBtfInput {
  /** errno after the object was read (see errnoAfterParse). */
  readonly errno: number;
}

/**
 * minimizeCoreBtf over the objects; a relocation it cannot resolve fails the command as bpftool's
 * btfgen_record_obj does (libbpf's line, then bpftool's error naming the object).
 */
function minimize(ctx: Context, target: BtfFile, objects: readonly ObjectInput[]): Uint8Array {
  try {
    return minimizeCoreBtf(coreView(target.btf), objects, btfNameIndex(target.btf));
  } catch (error) {
    if (!(error instanceof CoreRelocationError)) throw error;
    const object = objects.find((o) => o.name === error.program);
    ctx.out.error(relocationLine(error));
    throw new CliError(`error recording relocations for ${error.program}: ${strerror(object?.errno ?? 0)}`, {
      ret: error.code === "OUT_OF_RANGE" ? -E2BIG : -EINVAL,
      cause: error,
    });
  }
}

export function minCoreBtf(ctx: Context, args: Args): number {
  args.require(3);
  const input = args.next();
  const output = args.next();
  const paths = args.rest();

  let target: BtfFile;
  try {
    target = readBtfFile(input);
  } catch (error) {
    if (!(error instanceof LibbpfError)) throw error;
    printLibbpfWarnings(ctx, error);
    const text = strerror(error.errno);
    reportError(ctx, `failed parsing '${input}' BTF file: ${text}`);
    throw new CliError(`failed to allocate info structure: ${text}`, { ret: -error.errno, cause: error });
  }

  // bpftool reads and records one object after the other: an object that cannot be read stops the command, after
  // whatever the objects before it would have failed with.
  const objects: ObjectInput[] = [];
  for (const path of paths) {
    try {
      const { input: object, errno } = readObject(path);
      objects.push({ ...object, errno });
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      minimize(ctx, target, objects);
      if (error.cause instanceof LibbpfError) printLibbpfWarnings(ctx, error.cause);
      reportError(ctx, `failed to parse BPF object '${path}': ${error.why}`);
      throw new CliError(`error recording relocations for ${path}: ${strerror(error.errno)}`, {
        ret: error.ret,
        cause: error,
      });
    }
  }
  const minimal = minimize(ctx, target, objects);
  try {
    writeFileSync(output, minimal);
  } catch (error) {
    const errno = errnoOf(error) ?? EINVAL;
    throw new CliError(`error saving btf file: ${strerror(errno)}`, { ret: -errno, cause: error });
  }
  return 0;
}
