// `bpftool batch file FILE` (`-` for stdin): one command per line, all in this process. bpftool's rules: `#` starts
// a comment, a line ending in `\` continues on the next, words split on blanks, and a word that starts with ' or "
// runs to the next same quote. Processing stops at the first failing command, whose error names its line.
import { readFileSync } from "node:fs";
import { type Args, isPrefix } from "../cli/args.js";
import type { Context } from "../cli/context.js";
import { CliError, describeErrno } from "../cli/errors.js";

const LINE_MAX = 8192;
const ARGS_MAX = 256;

/** bpftool's make_args: the words of one command line. */
export function splitWords(line: string, command: number): string[] {
  const words: string[] = [];
  let i = 0;
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";
  while (i < line.length) {
    while (i < line.length && blank(line[i])) i++;
    if (i >= line.length) break;
    if (words.length >= ARGS_MAX - 1) throw new CliError(`too many arguments to command ${command}`);
    const c = line[i];
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new CliError(`unterminated quoted string in command ${command}`);
      words.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = i;
      while (end < line.length && !blank(line[end])) end++;
      words.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return words;
}

/** The commands of a batch file, each with the line it starts on. */
export function batchCommands(text: string): { words: string[]; line: number }[] {
  const lines = text.split("\n");
  const commands: { words: string[]; line: number }[] = [];
  const strip = (l: string) => {
    const hash = l.indexOf("#");
    return hash < 0 ? l : l.slice(0, hash);
  };
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let buf = strip(lines[i] ?? "");
    if (buf.length >= LINE_MAX - 1) throw new CliError(`command ${commands.length} is too long`);
    while (buf.endsWith("\\") && i + 1 < lines.length) {
      i++;
      buf = buf.slice(0, -1) + strip(lines[i] ?? "");
      if (buf.length + 1 > LINE_MAX) throw new CliError(`command ${commands.length} is too long`);
    }
    if (buf.endsWith("\\") && i === lines.length - 1 && text.endsWith("\n"))
      throw new CliError(`missing continuation line on command ${commands.length}`);
    const words = splitWords(buf, commands.length);
    if (words.length > 0) commands.push({ words, line: start + 1 });
  }
  return commands;
}

export async function batch(ctx: Context, args: Args): Promise<number> {
  if (args.left < 2) throw new CliError("too few parameters for batch");
  if (!isPrefix(args.peek(), "file")) throw new CliError(`expected 'file', got: ${args.peek()}`);
  if (args.left > 2) throw new CliError("too many parameters for batch");
  args.skip();
  const path = args.next();
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`Can't open file (${path}): ${describeErrno(error)}`);
  }
  const { runWords } = await import("../main.js");
  const json = ctx.json;
  const commands = batchCommands(text);
  json?.startArray();
  let done = 0;
  let ret = 0;
  for (const { words, line } of commands) {
    if (json) {
      json.startObject().name("command").startArray();
      for (const word of words) json.string(word);
      json.endArray().name("output");
    }
    ret = await runWords(ctx, words);
    json?.endObject();
    if (ret !== 0) {
      // Ours: bpftool stops here without saying where; the line number finds the command in a long file.
      if (!json) ctx.out.error(`Error: batch file ${path}, line ${line}: command ${done} failed\n`);
      break;
    }
    done++;
  }
  if (json) json.endArray();
  else if (ret === 0) ctx.out.print(`processed ${done} commands\n`);
  return ret;
}
