// The words after an object's keyword, and bpftool's way of choosing a command from them: each keyword matches
// any prefix of itself (`bpftool p s`, `bpftool m d id 3`), and the first table entry that matches wins.
import type { Context } from "./context.js";
import { CliError, usageError } from "./errors.js";

/** bpftool's is_prefix: `word` is a prefix of `keyword` (the empty word matches everything). */
export function isPrefix(word: string | undefined, keyword: string): boolean {
  return word !== undefined && keyword.startsWith(word);
}

/** A cursor over the remaining command-line words. */
export class Args {
  readonly #words: readonly string[];
  #pos: number;

  constructor(words: readonly string[], pos = 0) {
    this.#words = words;
    this.#pos = pos;
  }

  /** Words not yet consumed. */
  get left(): number {
    return this.#words.length - this.#pos;
  }
  get done(): boolean {
    return this.left <= 0;
  }
  /** The current word, not consumed. */
  peek(offset = 0): string | undefined {
    return this.#words[this.#pos + offset];
  }
  /** The word before the current one (bpftool's argv[-1], for messages). */
  previous(): string | undefined {
    return this.#words[this.#pos - 1];
  }
  /** Whether the current word is a prefix of `keyword`. */
  is(keyword: string): boolean {
    return isPrefix(this.peek(), keyword);
  }
  /** Consumes and returns the current word; a usage error when there is none. */
  next(): string {
    const word = this.#words[this.#pos];
    if (word === undefined) throw new CliError(`'${this.previous() ?? ""}' needs at least 1 arguments, 0 found`);
    this.#pos++;
    return word;
  }
  /** Skips the current word (bpftool's NEXT_ARG). */
  skip(count = 1): void {
    this.#pos += count;
  }
  /**
   * bpftool's REQ_ARGS where the command then returns `ret` (no help): at least `count` words left, else an error
   * naming the previous word.
   */
  reqArgs(count: number, ret = -1): void {
    if (this.left < count)
      throw new CliError(
        `'${this.previous() ?? ""}' needs at least ${count} arguments, ${Math.max(this.left, 0)} found`,
        {
          ret,
        },
      );
  }
  /** bpftool's REQ_ARGS followed by usage(): at least `count` words left, else the error and the help. */
  require(count: number): void {
    if (this.left < count)
      throw usageError(`'${this.previous() ?? ""}' needs at least ${count} arguments, ${Math.max(this.left, 0)} found`);
  }
  /** The remaining words, consumed. */
  rest(): string[] {
    const words = this.#words.slice(this.#pos);
    this.#pos = this.#words.length;
    return words;
  }
  /** A fresh cursor over the remaining words (the current position stays). */
  tail(): Args {
    return new Args(this.#words, this.#pos);
  }
}

/** What a command returns: nothing or 0 for success, else bpftool's return value (-1, -errno). */
export type CommandResult = number | undefined;
export type Handler = (ctx: Context, args: Args) => CommandResult | Promise<CommandResult>;

/** One object kind's commands (prog, map, ...), in bpftool's table order, and its help text. */
export interface CommandTable {
  readonly commands: readonly (readonly [keyword: string, handler: Handler])[];
  /** The object's `help` output (called for `help`, unknown commands and usage errors). */
  readonly help: Handler;
}

/**
 * bpftool's cmd_select: no words runs the first command (`bpftool prog` is `prog show`); otherwise the first
 * command the word is a prefix of; an unknown word prints the help and returns -1.
 */
export async function select(ctx: Context, table: CommandTable, args: Args): Promise<number> {
  ctx.lastHelp = table.help;
  ctx.lastHelpArgs = args.tail();
  const first = table.commands[0];
  if (args.done && first !== undefined) return (await first[1](ctx, args)) ?? 0;
  for (const [keyword, handler] of table.commands) {
    if (!args.is(keyword)) continue;
    args.skip();
    return (await handler(ctx, args)) ?? 0;
  }
  args.skip();
  await table.help(ctx, args);
  return -1;
}

/** bpftool's help text with its program name, and `null` in JSON mode (as every help command prints). */
export function printHelp(ctx: Context, text: string): number {
  if (ctx.json) {
    ctx.json.null();
    return 0;
  }
  ctx.out.error(text.replaceAll("%s", ctx.options.binName));
  return 0;
}
