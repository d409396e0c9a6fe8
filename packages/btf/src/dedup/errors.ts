/** Where in the input a dedup failure was found. Every field is optional: a message names what it knows. */
export interface BtfDedupErrorContext {
  /** Which input: the BTF being deduplicated, its base BTF, or its .BTF.ext. */
  readonly section?: ".BTF" | "base .BTF" | ".BTF.ext";
  /** Byte offset inside that input. */
  readonly offset?: number;
  /** Type id (in the id space of the whole, base + split, BTF). */
  readonly typeId?: number;
}

/** The only error type the dedup code throws: malformed input or a type graph libbpf would also refuse. */
export class BtfDedupError extends Error {
  readonly section: BtfDedupErrorContext["section"];
  readonly offset: number | undefined;
  readonly typeId: number | undefined;

  constructor(message: string, context: BtfDedupErrorContext = {}) {
    const where = [
      context.section,
      context.typeId === undefined ? undefined : `type [${context.typeId}]`,
      context.offset === undefined ? undefined : `offset ${context.offset}`,
    ]
      .filter((part) => part !== undefined)
      .join(", ");
    super(where ? `${message} (${where})` : message);
    this.name = "BtfDedupError";
    this.section = context.section;
    this.offset = context.offset;
    this.typeId = context.typeId;
  }
}
