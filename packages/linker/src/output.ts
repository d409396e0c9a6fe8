// The output being built: sections in the order libbpf's linker creates them, and symbols that refer to
// sections by object (the ELF writer assigns indices at the end).

/** A VAR/FUNC entry of an output section's DATASEC (offsets are output section offsets). */
export interface DatasecVar {
  type: number;
  offset: number;
  size: number;
}

/**
 * .BTF.ext records of one output section as their u32 words (recordSize / 4 per record, unknown trailing fields
 * included), already rebased: instruction offsets are the output section's, string offsets and type ids the
 * merged BTF's (type ids follow dedup at the end).
 */
export interface ExtRecords {
  recordSize: number;
  count: number;
  words: number[];
}

export interface OutRelocation {
  offset: number;
  type: number;
  /** undefined: symbol #0 (the input's symbol was in a section left out). */
  symbol: OutSymbol | undefined;
}

export interface OutSymbol {
  /** Its position in LinkState.symbols. */
  readonly index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  binding: number;
  visibility: number;
  /** The defining section; undefined for an undefined (extern) symbol; a number for SHN_ABS and friends. */
  section: OutSection | number | undefined;
}

const NO_BYTES = new Uint8Array(0);
const CHUNK = 8 * 1024;

/** Chunks of finished links, for the next ones (a fresh 8 KiB chunk costs ~3 us, as much as a small section's work). */
const spareChunks: ArrayBuffer[] = [];
const SPARE_LIMIT = 4;

/**
 * Where section buffers come from: small ones are carved out of shared chunks, because a typed array with memory
 * of its own (one per section and per growth) costs more than copying a small section. Outgrown buffers are
 * left in their chunk. Contents are not zeroed (sections write every byte they read). Once the output is
 * written, release() hands the chunks to later links: nothing reads the sections after that.
 */
export class Arena {
  private chunk: ArrayBuffer | undefined;
  private used = CHUNK;
  private readonly chunks: ArrayBuffer[] = [];

  alloc(size: number): Uint8Array<ArrayBuffer> {
    if (size > CHUNK / 4) return new Uint8Array(size);
    if (this.used + size > CHUNK) {
      this.chunk = spareChunks.pop() ?? new ArrayBuffer(CHUNK);
      this.chunks.push(this.chunk);
      this.used = 0;
    }
    const bytes = new Uint8Array(this.chunk!, this.used, size);
    this.used += (size + 7) & ~7;
    return bytes;
  }

  /** Gives the chunks to later links; this arena's buffers must not be read or written again. */
  release(): void {
    for (const chunk of this.chunks) if (spareChunks.length < SPARE_LIMIT) spareChunks.push(chunk);
    this.chunks.length = 0;
    this.chunk = undefined;
    this.used = CHUNK;
  }
}

export class OutSection {
  /** Bytes written so far (PROGBITS), grown by doubling; shared empty array until then (NOBITS never grows it). */
  private bytes = NO_BYTES;
  size = 0;
  align: number;
  type: number;
  flags: number;
  entsize: number;
  /** No ELF section yet: only externs (.kconfig, .ksyms, an extern map's .maps) have named it. */
  ephemeral: boolean;
  /** Position among sections that have become ELF sections (creation order is the output order). */
  elfOrder = -1;
  sectionSymbol: OutSymbol | undefined;
  hasBtf = false;
  readonly vars: DatasecVar[] = [];
  /** .BTF.ext records by subsection (ExtSlot: func_info, line_info, core_relo); undefined until it has some. */
  ext: (ExtRecords | undefined)[] | undefined;
  /** For a relocation section: the section it patches and its entries. */
  target: OutSection | undefined;
  readonly relocations: OutRelocation[] = [];

  constructor(
    readonly id: number,
    readonly name: string,
    shape: { type: number; flags: number; entsize: number; align: number; ephemeral: boolean },
    private readonly arena: Arena,
  ) {
    this.type = shape.type;
    this.flags = shape.flags;
    this.entsize = shape.entsize;
    this.align = shape.align;
    this.ephemeral = shape.ephemeral;
  }

  get data(): Uint8Array {
    return this.bytes.subarray(0, this.size);
  }

  /**
   * Appends `size` bytes (copied from `data`, or left as zeros for NOBITS) at the next offset aligned to the
   * larger of both alignments, libbpf's extend_sec; returns that offset.
   */
  append(data: Uint8Array | undefined, size: number, align: number): number {
    this.align = Math.max(this.align || 1, align);
    const at = Math.ceil(this.size / this.align) * this.align;
    const end = at + size;
    if (data) {
      if (end > this.bytes.length) {
        const grown = this.arena.alloc(Math.max(end, this.bytes.length * 2, 64));
        grown.set(this.bytes.subarray(0, this.size));
        this.bytes = grown;
      }
      this.bytes.fill(0, this.size, at);
      this.bytes.set(data.length === size ? data : data.subarray(0, size), at);
    }
    this.size = end;
    return at;
  }
}
