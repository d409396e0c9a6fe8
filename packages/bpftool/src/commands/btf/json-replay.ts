// Compact JSON as bpftool's writer produces it, replayed into our JsonWriter: the BTF dumpers write compact JSON
// bytes fast; with -p the same document goes through the writer, which lays it out exactly as bpftool's pretty
// mode does. The input is trusted to be well-formed (it is our own output): strings are copied as they are
// (their escapes included), numbers and literals as raw text.
import type { JsonWriter } from "../../json-writer.js";

/** Index just past the string literal that starts at `at` (a `"`); escapes are skipped. */
function stringEnd(text: string, at: number): number {
  let i = at + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 92)
      i += 2; // backslash
    else if (c === 34 || Number.isNaN(c)) return i + 1;
    else i++;
  }
}

export function replayJson(text: string, json: JsonWriter): void {
  // Per open container: whether it is an object (keys come before values).
  const objects: boolean[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    switch (c) {
      case "{":
        json.startObject();
        objects.push(true);
        expectKey = true;
        i++;
        continue;
      case "[":
        json.startArray();
        objects.push(false);
        expectKey = false;
        i++;
        continue;
      case "}":
        json.endObject();
        objects.pop();
        i++;
        break;
      case "]":
        json.endArray();
        objects.pop();
        i++;
        break;
      case ",":
        expectKey = objects.at(-1) === true;
        i++;
        continue;
      case ":":
      case "\n":
      case " ":
        i++;
        continue;
      case '"': {
        const end = stringEnd(text, i);
        const literal = text.slice(i, end);
        if (expectKey) {
          // Keys are plain words in these documents: the writer quotes them again the same way.
          json.name(literal.slice(1, -1));
          expectKey = false;
        } else {
          json.raw(literal);
        }
        i = end;
        continue;
      }
      default: {
        let end = i;
        while (end < text.length && !",]}\n".includes(text[end]!)) end++;
        json.raw(text.slice(i, end));
        i = end;
        continue;
      }
    }
    expectKey = false;
  }
}
