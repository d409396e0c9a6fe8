// bpftool's JSON writer (json_writer.c), byte for byte: scripts compare our `-j`/`-p` output with bpftool's.
// Its quirks are kept on purpose:
// - pretty mode breaks the line only before an object key and a closing bracket, so array elements stay on the
//   line of the `[` ("map_ids": [130,126,129\n    ]), indenting 4 spaces per level;
// - a backslash in a string is written as `\n` (what bpftool prints); `'` is written as is (the json_writer.c of
//   the kernel 6.1 tree that Debian's 7.1.0 is built from has no `\'` case, unlike libbpf/bpftool's copy);
// - other control characters and non-ASCII bytes are written unescaped;
// - the document ends with one "\n".
// The text is written as UTF-8 bytes into one buffer and handed out in pieces of about 64 KiB: a map dump writes
// millions of small pieces (six bytes for each byte of every key and value), which as string concatenations cost
// a rope node each and then a flattening and an encoding pass.

const FLUSH_AT = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ZERO = 0x30;
const LOWER_X = 0x78;
/** The two lowercase hex digits of each byte value, as bytes: `"0x" + HEX_DIGITS[2b..2b+1] + '"'`. */
const HEX_DIGITS = new TextEncoder().encode(
  Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0")).join(""),
);

export class JsonWriter {
  /** Grows to about FLUSH_AT (a batch file makes a writer per command, most of which write a line). */
  #buf = new Uint8Array(256);
  #len = 0;
  /** The open containers, innermost last: `}` or `]`. */
  readonly #closers: number[] = [];
  /** Whether a value was written at this level (a `,` goes before the next one). */
  #sep = false;
  pretty: boolean;
  readonly #sink: ((bytes: Uint8Array) => void) | undefined;

  /**
   * Text goes to `sink` in pieces as it is written (UTF-8 bytes, a view of the writer's buffer valid during the
   * call); without one, `take()` returns it.
   */
  constructor(pretty = false, sink?: (bytes: Uint8Array) => void) {
    this.pretty = pretty;
    this.#sink = sink;
  }

  /** Takes what was written and not yet handed to the sink. */
  take(): string {
    const out = decoder.decode(this.#buf.subarray(0, this.#len));
    this.#len = 0;
    return out;
  }

  /** Hands what was written to the sink. */
  flush(): void {
    if (this.#sink === undefined || this.#len === 0) return;
    const bytes = this.#buf.subarray(0, this.#len);
    this.#len = 0;
    this.#sink(bytes);
  }

  get depth(): number {
    return this.#closers.length;
  }

  /** Ends the innermost open object or array. */
  endArrayOrObject(): this {
    return this.#closers.at(-1) === CLOSE_BRACKET ? this.endArray() : this.endObject();
  }

  /** jsonw_reset: a new top-level value may follow (batch mode writes one per command). */
  reset(): void {
    this.#sep = false;
  }

  /** Room for `n` more bytes: what was written goes to the sink first, or the buffer grows. */
  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    if (this.#sink !== undefined && this.#len >= FLUSH_AT) this.flush();
    if (this.#len + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** Text as UTF-8: ASCII byte by byte, the rest through the encoder. */
  #text(text: string): void {
    const n = text.length;
    this.#reserve(n);
    const buf = this.#buf;
    let len = this.#len;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        this.#len = len;
        this.#encode(text.slice(i));
        return;
      }
      buf[len++] = c;
    }
    this.#len = len;
  }

  #encode(text: string): void {
    this.#reserve(text.length * 3);
    this.#len += encoder.encodeInto(text, this.#buf.subarray(this.#len)).written;
  }

  #bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  #maybeFlush(): void {
    if (this.#len >= FLUSH_AT) this.flush();
  }

  #eol(): void {
    if (!this.pretty) return;
    const indent = 4 * this.#closers.length;
    this.#reserve(1 + indent);
    const buf = this.#buf;
    buf[this.#len++] = NEWLINE;
    buf.fill(SPACE, this.#len, this.#len + indent);
    this.#len += indent;
  }

  #eor(): void {
    if (this.#sep) this.#byte(COMMA);
    this.#sep = true;
  }

  #begin(open: number, close: number): void {
    this.#eor();
    this.#byte(open);
    this.#closers.push(close);
    this.#sep = false;
  }

  #end(close: number): void {
    if (this.#closers.pop() !== close)
      throw new Error(`JsonWriter: ${String.fromCharCode(close)} does not close what is open`);
    if (this.#sep) this.#eol();
    this.#byte(close);
    this.#sep = true;
    this.#maybeFlush();
  }

  startObject(): this {
    this.#begin(OPEN_BRACE, CLOSE_BRACE);
    return this;
  }
  endObject(): this {
    this.#end(CLOSE_BRACE);
    return this;
  }
  startArray(): this {
    this.#begin(OPEN_BRACKET, CLOSE_BRACKET);
    return this;
  }
  endArray(): this {
    this.#end(CLOSE_BRACKET);
    return this;
  }

  name(name: string): this {
    this.#eor();
    this.#eol();
    this.#sep = false;
    this.#bytes(quotedName(name));
    this.#byte(COLON);
    if (this.pretty) this.#byte(SPACE);
    return this;
  }

  /** A value written as is (jsonw_printf): numbers, or text the caller formats. */
  raw(text: string): this {
    this.#eor();
    this.#text(text);
    this.#maybeFlush();
    return this;
  }

  /**
   * bpftool's print_hex_data_json: an array of `"0x.."` byte strings (map dumps), written in one step: the same
   * text as startArray, one raw value per byte and endArray.
   */
  hexArray(bytes: Uint8Array, length = bytes.length): this {
    this.#eor();
    const indent = length > 0 && this.pretty ? 4 * this.#closers.length : -1;
    this.#reserve(2 + 7 * length + 1 + indent);
    const buf = this.#buf;
    let len = this.#len;
    buf[len++] = OPEN_BRACKET;
    for (let i = 0; i < length; i++) {
      const b = bytes[i] as number;
      if (i !== 0) buf[len++] = COMMA;
      buf[len] = QUOTE;
      buf[len + 1] = ZERO;
      buf[len + 2] = LOWER_X;
      buf[len + 3] = HEX_DIGITS[2 * b] as number;
      buf[len + 4] = HEX_DIGITS[2 * b + 1] as number;
      buf[len + 5] = QUOTE;
      len += 6;
    }
    if (indent >= 0) {
      buf[len++] = NEWLINE;
      buf.fill(SPACE, len, len + indent);
      len += indent;
    }
    buf[len++] = CLOSE_BRACKET;
    this.#len = len;
    this.#maybeFlush();
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
    this.#byte(NEWLINE);
    this.flush();
    return this;
  }
}

/** Keys repeat for every entry of a dump: each is quoted and encoded once (bounded, for dumps with many names). */
const quotedNames = new Map<string, Uint8Array>();

function quotedName(name: string): Uint8Array {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = encoder.encode(quote(name));
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
