// Accumulates text and hands it on in large chunks, so dumping vmlinux (12 MB of text) costs a few hundred
// writes rather than one per line.

const CHUNK = 1 << 16;

export class ChunkWriter {
  private pending = "";

  constructor(private readonly sink: (chunk: string) => void) {}

  push(text: string): void {
    this.pending += text;
    if (this.pending.length >= CHUNK) {
      this.sink(this.pending);
      this.pending = "";
    }
  }

  flush(): void {
    if (this.pending.length > 0) this.sink(this.pending);
    this.pending = "";
  }
}

/** Runs `produce` against a ChunkWriter and returns everything it wrote as one string. */
export function collect(produce: (out: ChunkWriter) => void): string {
  const parts: string[] = [];
  const out = new ChunkWriter((chunk) => parts.push(chunk));
  produce(out);
  out.flush();
  return parts.join("");
}
