// The one error type the BTF core throws. Malformed input always ends here (never a RangeError from a DataView),
// and the fields say where: which type id and which byte offset of the blob.

export type BtfErrorCode =
  /** The blob ends before a header, a type record or a .BTF.ext record does. */
  | "TRUNCATED"
  /** Magic is not 0xEB9F in either byte order. */
  | "BAD_MAGIC"
  /** Version is not 1. */
  | "BAD_VERSION"
  /** hdr_len, flags or a section offset/length is inconsistent with the blob. */
  | "BAD_HEADER"
  /** The string section does not start or end with a NUL byte. */
  | "BAD_STRINGS"
  /** A name or string offset lies past the string section. */
  | "BAD_NAME_OFFSET"
  /** A referenced type id lies past the last type. */
  | "BAD_TYPE_ID"
  /** A kind number outside 1..19. */
  | "UNKNOWN_KIND"
  /** A vlen larger than the remaining bytes, or non-zero where the kind has no members. */
  | "BAD_VLEN"
  /** Reserved bits set (info, kind_flag on a kind without one, INT encoding). */
  | "BAD_INFO"
  /** A chain of reference types loops without passing through a struct, union or function prototype. */
  | "CYCLE"
  /** A size cannot be resolved (btf__resolve_size failure) or overflows 32 bits. */
  | "BAD_SIZE"
  /** Alignment cannot be computed (btf__align_of failure). */
  | "BAD_ALIGN"
  /** A .BTF.ext header, subsection or record is malformed. */
  | "BAD_EXT"
  /** A builder argument is invalid (id out of range, value out of range). */
  | "BAD_ARGUMENT"
  /** The object has no .BTF section. */
  | "NO_BTF";

export interface BtfErrorContext {
  /** Type id the problem is about (ids are global: split BTF continues its base's ids). */
  readonly typeId?: number;
  /** Byte offset in the blob being decoded. */
  readonly offset?: number;
  /** Which blob: ".BTF", ".BTF.ext" or "base .BTF". */
  readonly section?: string;
}

/** The only error @bpfkit/btf's core throws. */
export class BtfError extends Error {
  override readonly name = "BtfError";
  readonly code: BtfErrorCode;
  readonly typeId: number | undefined;
  readonly offset: number | undefined;
  readonly section: string | undefined;

  constructor(code: BtfErrorCode, message: string, context: BtfErrorContext = {}) {
    const where = [
      context.section,
      context.typeId === undefined ? undefined : `type [${context.typeId}]`,
      context.offset === undefined ? undefined : `offset ${context.offset}`,
    ]
      .filter((part) => part !== undefined)
      .join(", ");
    super(where ? `${message} (${where})` : message);
    this.code = code;
    this.typeId = context.typeId;
    this.offset = context.offset;
    this.section = context.section;
  }
}
