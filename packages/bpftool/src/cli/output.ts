// Standard output and error for one CLI run. stdout is collected and written in large pieces (bpftool's line
// buffering costs it one write(2) per line); stderr is written at once, after flushing stdout, so the two
// interleave as a terminal would show them. Tests give a capturing sink instead of the process's descriptors.
import { writeSync } from "node:fs";

export interface Sink {
  out(chunk: string | Uint8Array): void;
  err(text: string): void;
}

const FLUSH_AT = 64 * 1024;
const encoder = new TextEncoder();

/** Writes all of `bytes` to `fd`, waiting out a full non-blocking pipe; a reader that went away ends the run. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") process.exit(0); // `bpftool ... | head`: stop quietly, as bpftool dies on SIGPIPE
      if (code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** The process's stdout and stderr. */
export const processSink: Sink = {
  out: (chunk) => writeAll(1, typeof chunk === "string" ? encoder.encode(chunk) : chunk),
  err: (text) => writeAll(2, encoder.encode(text)),
};

/** Collects what a run prints (tests, batch mode). */
export class CaptureSink implements Sink {
  stdout = "";
  stderr = "";
  readonly #decoder = new TextDecoder();
  out(chunk: string | Uint8Array): void {
    this.stdout += typeof chunk === "string" ? chunk : this.#decoder.decode(chunk);
  }
  err(text: string): void {
    this.stderr += text;
  }
}

export class Output {
  readonly #sink: Sink;
  /** Text and bytes not yet written, in order. */
  #pending: (string | Uint8Array)[] = [];
  #pendingLength = 0;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  /** Text for stdout. */
  print(text: string): void {
    if (text.length === 0) return;
    this.#pending.push(text);
    this.#pendingLength += text.length;
    if (this.#pendingLength >= FLUSH_AT) this.flush();
  }

  /**
   * Bytes for stdout (JSON, C dumps, raw files), after any pending text. They may be a view of a buffer their
   * writer reuses: large pieces are written now, small ones (a batch file's many short outputs) are copied and
   * wait for the next write.
   */
  printBytes(bytes: Uint8Array): void {
    if (bytes.length >= FLUSH_AT) {
      this.flush();
      this.#sink.out(bytes);
      return;
    }
    if (bytes.length === 0) return;
    this.#pending.push(bytes.slice());
    this.#pendingLength += bytes.length;
    if (this.#pendingLength >= FLUSH_AT) this.flush();
  }

  /** Text for stderr (after what stdout has pending). */
  error(text: string): void {
    this.flush();
    this.#sink.err(text);
  }

  flush(): void {
    if (this.#pendingLength === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingLength = 0;
    // Runs of text are joined into one write; bytes keep their place between them.
    let text = "";
    for (const piece of pending) {
      if (typeof piece === "string") {
        text += piece;
        continue;
      }
      if (text.length > 0) this.#sink.out(text);
      text = "";
      this.#sink.out(piece);
    }
    if (text.length > 0) this.#sink.out(text);
  }
}
