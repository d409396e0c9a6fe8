// The object file of `gen skeleton` / `gen subskeleton`: bpftool stats, opens and maps it (each failure with its
// own message), then has libbpf open the bytes under the object name. The skeleton embeds the same bytes.
import { readFileSync, statSync } from "node:fs";
import { Btf, BtfError } from "@bpfkit/btf/btf";
import { LoaderError, openObject } from "@bpfkit/loader";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { LIBBPF_ERRNO, type LibbpfObject, LibbpfOpenError, libbpfStrerror, openAsLibbpf } from "./libbpf-open.js";

const ENODEV = 19;
const EINVAL = 22;
const EISDIR = 21;
const ENOTSUP = 95;

export interface GenObject extends LibbpfObject {
  /** The file's bytes, as embedded in the skeleton. */
  readonly bytes: Uint8Array;
  /** The object's BTF after libbpf's open-time fixups (bpf_object__btf), if it has BTF. */
  readonly btf: Btf | undefined;
}

/** The file's bytes, failing as bpftool's stat(), open() and mmap() calls do. */
export function readObjectFile(file: string): Uint8Array {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (error) {
    throw new CliError(`failed to stat() ${file}: ${describeErrno(error)}`, { cause: error });
  }
  // A device or a pipe has no size to map (bpftool maps st_size bytes): reading it whole might never end.
  if (!st.isFile() && !st.isDirectory()) throw new CliError(`failed to mmap() ${file}: ${strerror(EINVAL)}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    // open(O_RDONLY) of a directory succeeds; it is mmap() that refuses it.
    if (errnoOf(error) === EISDIR) {
      throw new CliError(`failed to mmap() ${file}: ${strerror(ENODEV)}`, { cause: error });
    }
    throw new CliError(`failed to open() ${file}: ${describeErrno(error)}`, { cause: error });
  }
  if (bytes.length === 0) throw new CliError(`failed to mmap() ${file}: ${strerror(EINVAL)}`);
  return bytes;
}

/** The errno libbpf would return for what our loader refuses. */
function loaderErrno(error: unknown): number | undefined {
  // Malformed BTF or .BTF.ext: libbpf's btf__new / btf_ext__new fail with -EINVAL.
  if (error instanceof BtfError) return EINVAL;
  if (!(error instanceof LoaderError)) return undefined;
  switch (error.code) {
    case "NOT_SUPPORTED":
      return ENOTSUP;
    case "BAD_RELOCATION":
      return LIBBPF_ERRNO.RELOC;
    case "BAD_MAP":
    case "BAD_EXTERN":
    case "BAD_BTF":
      return EINVAL;
    default:
      return LIBBPF_ERRNO.FORMAT;
  }
}

/**
 * bpf_object__open_mem(bytes, { object_name: objName }): the object, or `failed to open BPF object file: ...`
 * after libbpf's lines. `ret` is what the command returns then (skeleton: libbpf's error; subskeleton: -1).
 */
export function openGenObject(ctx: Context, bytes: Uint8Array, objName: string, ret: "errno" | -1): GenObject {
  let opened: ReturnType<typeof openAsLibbpf>;
  try {
    opened = openAsLibbpf(
      bytes,
      objName,
      (b) => openObject(b, { name: objName, sectionTable: "1.1", allowUnknownSections: true }),
      loaderErrno,
    );
  } catch (error) {
    if (!(error instanceof LibbpfOpenError)) throw error;
    for (const line of error.lines) ctx.out.error(`libbpf: ${line}\n`);
    throw new CliError(`failed to open BPF object file: ${libbpfStrerror(error.errno, strerror)}`, {
      ret: ret === -1 ? -1 : -error.errno,
      cause: error,
    });
  }
  for (const line of opened.lines) ctx.out.error(`libbpf: ${line}\n`);
  const raw = opened.object.spec.btf;
  const btf = raw === undefined ? undefined : Btf.parse(raw);
  return { ...opened.object, bytes, btf };
}
