// C text of one definition or forward declaration: struct/union bodies with their padding and bitfields, enums
// with their values, typedefs, and the short `struct x` / `enum x` forms. Member types are written by
// writeTypeDecl (declarations.ts), which comes back here for anonymous structs/enums defined inline.
import { writeTypeDecl } from "./declarations.js";
import { ENUM, STRUCT } from "./kinds.js";
import { writeBitPadding } from "./padding.js";
import { type DumpState, indent } from "./state.js";

const TWO_32 = 2 ** 32;

export function writeStructForward(st: DumpState, id: number): void {
  const { table } = st;
  const keyword = table.kinds[id] === STRUCT ? "struct" : "union";
  st.out += table.nameOffset(id) === 0 ? keyword : `${keyword} ${st.names.tagName(id)}`;
}

export function writeStructDefinition(st: DumpState, id: number, level: number): void {
  const { table, layout } = st;
  const { words } = table;
  const at = table.starts[id]!;
  const info = words[at + 1]!;
  const vlen = info & 0xffff;
  const bitfields = info >>> 31 === 1;
  const size = words[at + 2]!;
  const isStruct = table.kinds[id] === STRUCT;
  const align = layout.alignOf(id);
  const packed = isStruct && layout.isStructPacked(id);
  const keyword = isStruct ? "struct" : "union";
  st.out += words[at] === 0 ? `${keyword} {` : `${keyword} ${st.names.tagName(id)} {`;

  const memberIndent = indent(level + 1);
  // Bit offsets are C ints in libbpf; `| 0` keeps the same wrap-around on absurd layouts.
  let offset = 0;
  let prevBitfield = false;
  for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
    const memberType = words[p + 1]!;
    const rawOffset = words[p + 2]!;
    let bitSize = bitfields ? rawOffset >>> 24 : 0;
    const bitOffset = (bitfields ? rawOffset & 0xffffff : rawOffset) | 0;
    const memberAlign = packed ? 1 : layout.alignOf(memberType);
    writeBitPadding(st, offset, bitOffset, memberAlign, prevBitfield && bitSize !== 0, level + 1);
    st.out += `\n${memberIndent}`;
    writeTypeDecl(st, memberType, table.string(words[p]!), level + 1);
    if (bitSize !== 0) {
      st.out += `: ${bitSize};`;
      offset = (bitOffset + bitSize) | 0;
      prevBitfield = true;
    } else {
      bitSize = Math.max(0, layout.resolveSize(memberType)) | 0;
      offset = (bitOffset + Math.imul(bitSize, 8)) | 0;
      prevBitfield = false;
      st.out += ";";
    }
  }
  if (isStruct) writeBitPadding(st, offset, Math.imul(size, 8), align, false, level + 1);
  // An empty struct stays on one line: `struct empty {}`.
  st.out += vlen !== 0 || size !== 0 ? `\n${indent(level)}}` : "}";
  if (packed) st.out += " __attribute__((packed))";
}

export function writeEnumForward(st: DumpState, id: number): void {
  st.out += `enum ${st.names.tagName(id)}`;
}

export function writeEnumDefinition(st: DumpState, id: number, level: number): void {
  const { table, names } = st;
  const { words } = table;
  const at = table.starts[id]!;
  const info = words[at + 1]!;
  const vlen = info & 0xffff;
  const signed = info >>> 31 === 1;
  st.out += words[at] === 0 ? "enum" : `enum ${names.tagName(id)}`;
  if (vlen === 0) return;
  st.out += " {";
  const valueIndent = indent(level + 1);
  if (table.kinds[id] === ENUM) {
    for (let i = 0, p = at + 3; i < vlen; i++, p += 2) {
      const raw = words[p + 1]!;
      const value = signed ? raw | 0 : raw;
      st.out += `\n${valueIndent}${enumeratorName(st, words[p]!)} = ${value},`;
    }
  } else {
    for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
      const low = words[p + 1]!;
      const high = words[p + 2]!;
      let value: string;
      if (high === 0) value = String(low);
      else if (signed) value = String(BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)));
      else value = String(high * TWO_32 + low <= Number.MAX_SAFE_INTEGER ? high * TWO_32 + low : combine(high, low));
      st.out += `\n${valueIndent}${enumeratorName(st, words[p]!)} = ${value}${signed ? "LL" : "ULL"},`;
    }
  }
  // libbpf 1.1 as built into the reference bpftool writes no mode(byte)/mode(word) attribute for odd sizes.
  st.out += `\n${indent(level)}}`;
}

function combine(high: number, low: number): bigint {
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Enumerators share the identifier namespace with typedefs; a repeated one gets a `___n` suffix. */
function enumeratorName(st: DumpState, nameOffset: number): string {
  const name = st.table.string(nameOffset);
  const occurrence = st.names.enumeratorOccurrence(name);
  return occurrence > 1 ? `${name}___${occurrence}` : name;
}

export function writeFwdDefinition(st: DumpState, id: number): void {
  st.out += `${st.table.kindFlag(id) ? "union" : "struct"} ${st.names.tagName(id)}`;
}

export function writeTypedefDefinition(st: DumpState, id: number, level: number): void {
  const name = st.names.identName(id);
  const target = st.table.sizeOrType(id);
  // Old GCC emitted __gnuc_va_list as a typedef of void; libbpf repairs it to the builtin.
  if (target === 0 && name === "__gnuc_va_list") {
    st.out += "typedef __builtin_va_list __gnuc_va_list";
    return;
  }
  st.out += "typedef ";
  writeTypeDecl(st, target, name, level);
}

/** __builtin_va_list is the compiler's own; redefining it breaks compilation with another compiler. */
export function isCompilerBuiltin(st: DumpState, id: number): boolean {
  const offset = st.table.nameOffset(id);
  return offset !== 0 && st.table.string(offset) === "__builtin_va_list";
}
