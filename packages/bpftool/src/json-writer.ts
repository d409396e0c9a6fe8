// bpftool's JSON writer (json_writer.c), byte for byte: scripts compare our `-j`/`-p` output with bpftool's.
// Its quirks are kept on purpose:
// - pretty mode breaks the line only before an object key and a closing bracket, so array elements stay on the
//   line of the `[` ("map_ids": [130,126,129\n    ]), indenting 4 spaces per level;
// - a backslash in a string is written as `\n` (what bpftool prints); `'` is written as is (the json_writer.c of
//   the kernel 6.1 tree that Debian's 7.1.0 is built from has no `\'` case, unlike libbpf/bpftool's copy);
// - other control characters and non-ASCII bytes are written unescaped;
// - the document ends with one "\n".

const FLUSH_AT = 64 * 1024;

/** `"0x00"` ... `"0xff"`, as bpftool prints bytes in JSON. */
const HEX_STRINGS = Array.from({ length: 256 }, (_, b) => `"0x${b.toString(16).padStart(2, "0")}"`);

export class JsonWriter {
  #out = "";
  /** The open containers, innermost last: "}" or "]". */
  readonly #closers: string[] = [];
  /** ',' once a value was written at this level, '' before the first. */
  #sep = "";
  pretty: boolean;
  readonly #sink: ((text: string) => void) | undefined;

  /** Text goes to `sink` in pieces as it is written; without one, `take()` returns it. */
  constructor(pretty = false, sink?: (text: string) => void) {
    this.pretty = pretty;
    this.#sink = sink;
  }

  /** Takes what was written and not yet handed to the sink. */
  take(): string {
    const out = this.#out;
    this.#out = "";
    return out;
  }

  /** Hands what was written to the sink. */
  flush(): void {
    if (this.#sink !== undefined && this.#out.length > 0) this.#sink(this.take());
  }

  get depth(): number {
    return this.#closers.length;
  }

  /** Ends the innermost open object or array. */
  endArrayOrObject(): this {
    return this.#closers.at(-1) === "]" ? this.endArray() : this.endObject();
  }

  /** jsonw_reset: a new top-level value may follow (batch mode writes one per command). */
  reset(): void {
    this.#sep = "";
  }

  #eol(): void {
    if (!this.pretty) return;
    this.#out += `\n${"    ".repeat(this.#closers.length)}`;
  }

  #eor(): void {
    this.#out += this.#sep;
    this.#sep = ",";
  }

  #begin(open: string, close: string): void {
    this.#eor();
    this.#out += open;
    this.#closers.push(close);
    this.#sep = "";
  }

  #end(close: string): void {
    if (this.#closers.pop() !== close) throw new Error(`JsonWriter: ${close} does not close what is open`);
    if (this.#sep !== "") this.#eol();
    this.#out += close;
    this.#sep = ",";
    if (this.#out.length >= FLUSH_AT) this.flush();
  }

  startObject(): this {
    this.#begin("{", "}");
    return this;
  }
  endObject(): this {
    this.#end("}");
    return this;
  }
  startArray(): this {
    this.#begin("[", "]");
    return this;
  }
  endArray(): this {
    this.#end("]");
    return this;
  }

  name(name: string): this {
    this.#eor();
    this.#eol();
    this.#sep = "";
    this.#out += quotedName(name);
    this.#out += this.pretty ? ": " : ":";
    return this;
  }

  /** A value written as is (jsonw_printf): numbers, or text the caller formats. */
  raw(text: string): this {
    this.#eor();
    this.#out += text;
    if (this.#out.length >= FLUSH_AT) this.flush();
    return this;
  }

  /**
   * bpftool's print_hex_data_json: an array of `"0x.."` byte strings (map dumps), written in one step: the same
   * text as startArray, one raw value per byte and endArray.
   */
  hexArray(bytes: Uint8Array, length = bytes.length): this {
    this.#eor();
    let text = "[";
    for (let i = 0; i < length; i++)
      text += i === 0 ? HEX_STRINGS[bytes[i] as number] : `,${HEX_STRINGS[bytes[i] as number]}`;
    if (length > 0 && this.pretty) text += `\n${"    ".repeat(this.#closers.length)}`;
    this.#out += `${text}]`;
    if (this.#out.length >= FLUSH_AT) this.flush();
    return this;
  }

  string(value: string): this {
    return this.raw(quote(value));
  }
  /** jsonw_printf("\"%s\"", ...): quotes without escaping (bpftool does this for error messages and a few fields). */
  unescaped(value: string): this {
    return this.raw(`"${value}"`);
  }
  number(value: number | bigint): this {
    return this.raw(String(value));
  }
  bool(value: boolean): this {
    return this.raw(value ? "true" : "false");
  }
  null(): this {
    return this.raw("null");
  }

  stringField(name: string, value: string): this {
    return this.name(name).string(value);
  }
  numberField(name: string, value: number | bigint): this {
    return this.name(name).number(value);
  }
  boolField(name: string, value: boolean): this {
    return this.name(name).bool(value);
  }
  nullField(name: string): this {
    return this.name(name).null();
  }

  /** jsonw_destroy: the final newline of a document. */
  finish(): this {
    this.#out += "\n";
    this.flush();
    return this;
  }
}

/** Keys repeat for every entry of a dump: each is quoted once (bounded, for dumps with many distinct names). */
const quotedNames = new Map<string, string>();

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = quote(name);
    if (quotedNames.size < 4096) quotedNames.set(name, quoted);
  }
  return quoted;
}

/** Strings without a character bpftool escapes are written as they are. */
const NEEDS_ESCAPE = /[\t\n\r\f\b\\"]/;

function quote(str: string): string {
  if (!NEEDS_ESCAPE.test(str)) return `"${str}"`;
  let out = '"';
  for (const ch of str) {
    switch (ch) {
      case "\t":
        out += "\\t";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\f":
        out += "\\f";
        break;
      case "\b":
        out += "\\b";
        break;
      case "\\":
        out += "\\n";
        break;
      case '"':
        out += '\\"';
        break;
      default:
        out += ch;
    }
  }
  return `${out}"`;
}
