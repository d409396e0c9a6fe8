// print_hex: bytes as the body of a C string literal, `\0` for zero bytes and `\xNN` for the others, lines broken
// with a backslash-newline before they pass 78 columns. Used for the object embedded in a skeleton.

/** The literal's body for `data` (the caller writes the quotes around it). */
export function hexLiteral(data: Uint8Array): string {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    const width = b === 0 ? 2 : 4;
    len += width;
    if (len > 78) {
      parts.push("\\\n");
      len = width;
    }
    parts.push(b === 0 ? "\\0" : HEX[b]!);
  }
  return parts.join("");
}

const HEX = Array.from({ length: 256 }, (_, b) => `\\x${b.toString(16).padStart(2, "0")}`);
