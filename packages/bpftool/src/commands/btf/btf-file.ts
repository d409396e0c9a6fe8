// libbpf's btf__parse / btf__parse_split as bpftool uses them to read BTF from a file: raw BTF (by its magic) or
// an ELF object's .BTF section. The bytes are checked by our parser; when it refuses them, the errno libbpf would
// return and the warnings it would print are worked out from the same bytes (libbpf's own, more lenient checks),
// so the error bpftool prints and its exit status come out the same. Kernel BTF files are mapped, not read
// (readKernelBtfFile): reading vmlinux from sysfs costs over a thousand read(2) calls.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { Btf } from "@bpfkit/btf/btf";
import { readKernelBtfFile } from "@bpfkit/kernel/btf-file";
import { errnoOf } from "../../cli/errors.js";

const EIO = 5;
const ENOENT = 2;
const EINVAL = 22;
const EPROTO = 71;
const ENOTSUP = 95;
/** LIBBPF_ERRNO__FORMAT: "BPF object format invalid" (bpftool's strerror() prints "Unknown error 4001"). */
export const LIBBPF_ERRNO_FORMAT = 4001;

const BTF_MAGIC = 0xeb9f;
const HEADER_SIZE = 24;

/** What libbpf returns for a file it cannot take as BTF: a positive errno and the warnings it printed. */
export class LibbpfError extends Error {
  override readonly name = "LibbpfError";
  constructor(
    readonly errno: number,
    /** libbpf's warning lines (without the `libbpf: ` prefix and newline), in the order it prints them. */
    readonly warnings: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(`libbpf error ${errno}`, options);
  }
}

/** Which implementations parse and dump (tests and benches compare them; the default picks per size). */
export type BtfEngine = "auto" | "js" | "wasm";

/** BPFKIT_BTF_ENGINE=js|wasm forces one implementation of the scan and dumps (for comparisons). */
export function btfEngine(): BtfEngine {
  const engine = process.env.BPFKIT_BTF_ENGINE;
  return engine === "js" || engine === "wasm" ? engine : "auto";
}

export interface BtfFile {
  readonly btf: Btf;
  /** The .BTF.ext section's bytes when the file is an ELF object that has one. */
  readonly ext: Uint8Array | undefined;
  readonly isElf: boolean;
}

const EISDIR = 21;
const ESPIPE = 29;

/**
 * What libbpf makes of a file that is not a regular one (a device, a pipe: reading it whole could never end): its
 * two magic bytes are read; BTF's magic fails on the seek that sizes the file, anything else goes to libelf, which
 * cannot take a pipe and finds no ELF header in a device.
 */
function notRegular(path: string, fifo: boolean): LibbpfError {
  let head = Buffer.alloc(0);
  try {
    const fd = openSync(path, "r");
    try {
      head = Buffer.alloc(2);
      head = head.subarray(0, readSync(fd, head, 0, 2, null));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return new LibbpfError(errnoOf(error) ?? EIO, [], { cause: error });
  }
  if (head.length < 2) return new LibbpfError(EIO);
  const magic = head.readUInt16LE(0);
  if (magic === BTF_MAGIC || magic === 0x9feb) return new LibbpfError(ESPIPE);
  const line = fifo ? `failed to open ${path} as ELF file` : `failed to get EHDR from ${path}`;
  return new LibbpfError(LIBBPF_ERRNO_FORMAT, [line]);
}

/** The file's bytes, as fopen + fread would fail: the open errno, or EIO for what cannot be read (a directory). */
function readBytes(path: string): Uint8Array {
  try {
    const st = statSync(path);
    if (!st.isFile() && !st.isDirectory()) throw notRegular(path, st.isFIFO() || st.isSocket());
    return readKernelBtfFile(path).bytes;
  } catch (error) {
    if (error instanceof LibbpfError) throw error;
    const errno = errnoOf(error);
    throw new LibbpfError(errno === undefined || errno === EISDIR ? EIO : errno, [], { cause: error });
  }
}

/**
 * btf__parse_split(path, base): the BTF in `path` (split on `base` when given). With `withExt`, btf__parse with
 * its btf_ext: the .BTF.ext bytes come back too. Throws LibbpfError.
 */
export function readBtfFile(path: string, base?: Btf, withExt = false): BtfFile {
  const bytes = readBytes(path);
  if (bytes.length < 2) throw new LibbpfError(EIO);
  const magic = bytes[0]! | (bytes[1]! << 8);
  if (magic === BTF_MAGIC || magic === 0x9feb) return { btf: parseBtf(bytes, base), ext: undefined, isElf: false };
  return readElfBtf(path, bytes, base, withExt);
}

/**
 * The named sections of an ELF64 file, read as libelf does for libbpf here: the section headers and their names,
 * nothing else (executables, shared objects and other non-BPF files are read like objects). Undefined when the
 * tables lie outside the file.
 */
function elfSections(bytes: Uint8Array): { name: string; data: Uint8Array }[] | undefined {
  const little = bytes[5] !== 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const u64 = (at: number) => Number(view.getBigUint64(at, little));
  const shoff = u64(0x28);
  const entsize = u16(0x3a);
  let count = u16(0x3c);
  let strndx = u16(0x3e);
  if (shoff === 0) return [];
  if (entsize < 64 || shoff + entsize > bytes.length) return undefined;
  // Extended numbering: section 0 holds the real count and name table index.
  if (count === 0) count = u64(shoff + 0x20);
  if (strndx === 0xffff) strndx = u32(shoff + 0x28);
  if (shoff + count * entsize > bytes.length || strndx >= count) return undefined;
  const header = (i: number) => {
    const at = shoff + i * entsize;
    return { name: u32(at), type: u32(at + 4), offset: u64(at + 0x18), size: u64(at + 0x20) };
  };
  const names = header(strndx);
  if (names.offset + names.size > bytes.length) return undefined;
  const decoder = new TextDecoder();
  const sections: { name: string; data: Uint8Array }[] = [];
  for (let i = 1; i < count; i++) {
    const h = header(i);
    const start = names.offset + h.name;
    let end = start;
    while (end < names.offset + names.size && bytes[end] !== 0) end++;
    const nobits = h.type === 8;
    if (!nobits && h.offset + h.size > bytes.length) return undefined;
    const data = nobits ? new Uint8Array(0) : bytes.subarray(h.offset, h.offset + h.size);
    sections.push({ name: decoder.decode(bytes.subarray(start, end)), data });
  }
  return sections;
}

/** btf_parse_elf: the .BTF (and .BTF.ext) sections of an ELF object (the last of each name, as libbpf keeps). */
function readElfBtf(path: string, bytes: Uint8Array, base: Btf | undefined, withExt: boolean): BtfFile {
  // libelf takes anything shorter than an ELF header, or without the magic, as no ELF at all.
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes.length < 64 || bytes[4] !== 2) {
    throw new LibbpfError(LIBBPF_ERRNO_FORMAT, [`failed to get EHDR from ${path}`]);
  }
  // Mostly a truncated file: libelf cannot reach the section headers or the section name table.
  const sections = elfSections(bytes);
  if (sections === undefined) throw new LibbpfError(LIBBPF_ERRNO_FORMAT, [`failed to get e_shstrndx from ${path}`]);
  const section = sections.findLast((s) => s.name === ".BTF");
  if (section === undefined) throw new LibbpfError(ENOENT);
  const btf = parseBtf(section.data, base);
  // The ELF class decides the pointer size of an object's BTF (btf__set_pointer_size): ELF64 here.
  btf.setPointerSize(8);
  const ext = withExt ? sections.findLast((s) => s.name === ".BTF.ext")?.data : undefined;
  return { btf, ext, isElf: true };
}

/** btf_new: our parser, and libbpf's verdict when ours refuses. */
export function parseBtf(bytes: Uint8Array, base?: Btf): Btf {
  // libbpf takes BTF of the other byte order only with the 24-byte header it knows how to swap.
  if (bytes.length >= HEADER_SIZE && bytes[0] === 0xeb && bytes[1] === 0x9f) {
    const hdrLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, false);
    if (hdrLen !== HEADER_SIZE) throw libbpfVerdict(bytes, base);
  }
  try {
    return Btf.parse(bytes, { base, engine: btfEngine() });
  } catch (error) {
    throw libbpfVerdict(bytes, base, error);
  }
}

/**
 * The errno and warnings of libbpf's btf_new on bytes our parser refused: its header, string and type section
 * checks (btf_parse_hdr, btf_parse_str_sec, btf_parse_type_sec). Where libbpf would accept them (it checks less
 * than we do: names, type references, cycles) the answer is EINVAL, libbpf's errno for malformed BTF.
 */
export function libbpfVerdict(bytes: Uint8Array, base: Btf | undefined, cause?: unknown): LibbpfError {
  const invalid = (warnings: string[] = []) => new LibbpfError(EINVAL, warnings, { cause });
  if (bytes.length < HEADER_SIZE) return invalid();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  const magic = view.getUint16(0, true);
  if (magic === 0x9feb) {
    little = false;
    const hdrLen = view.getUint32(4, false);
    if (hdrLen !== HEADER_SIZE) {
      return new LibbpfError(
        ENOTSUP,
        [`Can't load BTF with non-native endianness due to unsupported header length ${hdrLen}`],
        { cause },
      );
    }
  } else if (magic !== BTF_MAGIC) {
    return invalid();
  }
  const u32 = (at: number) => view.getUint32(at, little);
  const hdrLen = u32(4);
  const typeOff = u32(8);
  const typeLen = u32(12);
  const strOff = u32(16);
  const strLen = u32(20);
  if (bytes.length < hdrLen) return invalid();
  if (bytes.length - hdrLen < strOff + strLen) return invalid();
  if (typeOff + typeLen > strOff) return invalid();
  if (typeOff % 4 !== 0) return invalid();
  const strStart = hdrLen + strOff;
  if (!(base && strLen === 0)) {
    if (strLen === 0 || strLen - 1 > 0x7fffffff || bytes[strStart + strLen - 1] !== 0) return invalid();
    if (!base && bytes[strStart] !== 0) return invalid();
  }
  const firstId = base ? base.typeCount : 1;
  const start = hdrLen + typeOff;
  const end = start + typeLen;
  let at = start;
  let count = 0;
  while (at + 12 <= end) {
    const info = u32(at + 4);
    const size = typeRecordSize((info >>> 24) & 0x1f, info & 0xffff);
    if (size < 0) return invalid();
    if (at + size > end) return invalid([`BTF type [${firstId + count}] is malformed`]);
    at += size;
    count++;
  }
  if (at !== end) return invalid(["BTF types data is malformed"]);
  return invalid();
}

/** btf_type_size: bytes of a type record by kind and vlen, -1 for kinds libbpf 1.1 does not know. */
function typeRecordSize(kind: number, vlen: number): number {
  switch (kind) {
    case 2: // PTR
    case 7: // FWD
    case 8: // TYPEDEF
    case 9: // VOLATILE
    case 10: // CONST
    case 11: // RESTRICT
    case 12: // FUNC
    case 16: // FLOAT
    case 18: // TYPE_TAG
      return 12;
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 16;
    case 3: // ARRAY
      return 24;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return 12 + vlen * 12;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return 12 + vlen * 8;
    default:
      return -1;
  }
}

export { EINVAL, ENOENT, EPROTO };
