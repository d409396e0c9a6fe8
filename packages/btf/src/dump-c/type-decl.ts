// One C declaration at a time, libbpf's btf_dump__emit_type_decl: what `bpftool gen skeleton` writes for each
// global variable of a data section. The writer keeps one dump state across calls, as a btf_dump object does, so
// `name___n` renaming stays consistent between declarations (the first type asked for keeps its plain name).
import type { Btf } from "../btf.js";
import { FIELD_NAME, writeTypeDecl } from "./declarations.js";
import { BtfDumpError } from "./errors.js";
import { DumpState } from "./state.js";
import { TypeTable } from "./type-table.js";

export interface TypeDeclOptions {
  /** The declared name (libbpf's field_name); empty or absent: an abstract declarator such as `int *`. */
  readonly fieldName?: string;
  /** Indentation of anonymous struct/union/enum bodies written inline (libbpf's indent_level). */
  readonly indentLevel?: number;
  /** Leave out const/volatile/restrict and type tags, nested declarations included (libbpf's strip_mods). */
  readonly stripMods?: boolean;
}

export class CTypeDeclWriter {
  readonly #st: DumpState;
  readonly #decoder = new TextDecoder();

  /** `pointerSize`: as for the C dump (default the BTF's own, else 8). */
  constructor(btf: Btf, options: { readonly pointerSize?: 4 | 8 } = {}) {
    const pointerSize = options.pointerSize ?? (btf.pointerSize === 4 ? 4 : 8);
    this.#st = new DumpState(new TypeTable(btf), pointerSize);
  }

  /** The C declaration of type `id` (no trailing `;`). Throws BtfDumpError for ids past the end. */
  declaration(id: number, options: TypeDeclOptions = {}): string {
    const st = this.#st;
    if (!(Number.isInteger(id) && id >= 0 && id < st.table.count)) {
      throw new BtfDumpError("BAD_ID", `no type with id ${id}`);
    }
    st.stripMods = options.stripMods ?? false;
    st.fieldName = options.fieldName ?? "";
    try {
      writeTypeDecl(st, id, FIELD_NAME, 1, options.indentLevel ?? 0);
      return this.#decoder.decode(st.w.drain());
    } finally {
      st.stripMods = false;
      st.fieldName = "";
      st.declTop = 0;
      st.nesting = 0;
      st.w.pos = 0;
    }
  }

  /** btf__align_of with the dumper's rules (0 when it cannot be computed). */
  alignOf(id: number): number {
    return this.#st.layout.alignOf(id);
  }

  /** btf__resolve_size (negative when it cannot be resolved). */
  resolveSize(id: number): number {
    return this.#st.layout.resolveSize(id);
  }
}
