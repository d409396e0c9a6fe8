/** Why a C dump failed. */
export type BtfDumpErrorCode =
  /** The type graph has a cycle C cannot express (libbpf: "unsatisfiable type cycle", -ELOOP). */
  | "TYPE_CYCLE"
  /** A type of a kind the dumper cannot place in C, or a kind number outside BTF (libbpf: -EINVAL). */
  | "BAD_KIND"
  /** A chain of types deeper than any C declaration can be (a malformed cycle through pointers or modifiers). */
  | "TOO_DEEP"
  /** Output that would be absurdly large (a padding gap of megabytes inside one struct). */
  | "TOO_LARGE"
  /** A type id the caller asked to dump that does not exist. */
  | "BAD_ID";

/** The only error the C dumper throws. `typeId` names the type being processed when it failed. */
export class BtfDumpError extends Error {
  readonly code: BtfDumpErrorCode;
  readonly typeId: number | undefined;

  constructor(code: BtfDumpErrorCode, message: string, typeId?: number) {
    super(typeId === undefined ? message : `${message} (type [${typeId}])`);
    this.name = "BtfDumpError";
    this.code = code;
    this.typeId = typeId;
  }
}
