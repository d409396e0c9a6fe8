// The three ways `bpftool feature probe` prints: JSON (-j), C macros (`macros [prefix P]`) and plain sentences.
import type { Context } from "../../cli/context.js";
import type { JsonWriter } from "../../json-writer.js";

export class ProbePrinter {
  readonly json: JsonWriter | undefined;
  /** `macros`: C defines instead of sentences (never with JSON). */
  readonly macros: boolean;
  /** The macro prefix (`prefix P`), "" without one. */
  readonly prefix: string;
  readonly #ctx: Context;

  constructor(ctx: Context, macroPrefix: string | undefined) {
    this.#ctx = ctx;
    this.json = ctx.json;
    this.macros = ctx.json === undefined && macroPrefix !== undefined;
    this.prefix = macroPrefix ?? "";
  }

  /** Text on stdout, as is. */
  print(text: string): void {
    this.#ctx.out.print(text);
  }

  line(text: string): void {
    this.#ctx.out.print(`${text}\n`);
  }

  /** bpftool's p_info: stderr, nothing in JSON. */
  info(text: string): void {
    this.#ctx.info(text);
  }

  startSection(jsonTitle: string, plainTitle: string, macroComment: string): void {
    if (this.json) this.json.name(jsonTitle).startObject();
    else this.line(this.macros ? macroComment : plainTitle);
  }

  endSection(): void {
    if (this.json) this.json.endObject();
    else this.print("\n");
  }

  /** A yes/no feature: a JSON bool, `#define PHAVE_X` / `#define PNO_HAVE_X`, or "X is [NOT ]available". */
  bool(jsonName: string, plainName: string, macroName: string, value: boolean): void {
    if (this.json) this.json.boolField(jsonName, value);
    else if (this.macros) this.line(`#define ${this.prefix}${value ? "" : "NO_"}HAVE_${macroName}`);
    else this.line(`${plainName} is ${value ? "" : "NOT "}available`);
  }
}
