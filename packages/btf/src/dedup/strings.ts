// Pass 1: string dedup. Every string referenced from the BTF being deduplicated (and from .BTF.ext) is added,
// in visit order, to a fresh string section, and the reference is rewritten to the new offset; strings that
// already exist in the base BTF point at the base copy instead. Unreferenced strings disappear. Afterwards two
// names are equal exactly when their offsets are, which is what the type passes compare.
import type { RawBtfExt } from "./btf-ext.js";
import { BtfDedupError } from "./errors.js";
import { forEachStringWord } from "./kinds.js";
import type { DedupState } from "./state.js";

/** Bytes as a string with one char per byte (latin1), so text operations map 1:1 back to bytes. */
export function bytesToLatin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return text;
}

function latin1ToBytes(parts: readonly string[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[at++] = part.charCodeAt(i);
    at++; // NUL terminator (already zero)
  }
  return out;
}

/** First offset of each NUL-terminated string in a string section, like libbpf's string index. */
function indexStrings(section: Uint8Array): Map<string, number> {
  const text = bytesToLatin1(section);
  const index = new Map<string, number>();
  for (let off = 0; off < text.length; ) {
    const end = text.indexOf("\0", off);
    const s = text.slice(off, end);
    if (!index.has(s)) index.set(s, off);
    off = end + 1;
  }
  return index;
}

export interface StringInputs {
  /** The string section of the BTF being deduplicated. */
  readonly strings: Uint8Array;
  /** The base's string section, for split BTF. */
  readonly baseStrings?: Uint8Array;
  readonly ext?: RawBtfExt;
}

/** Rewrites every string reference of the split types and of .BTF.ext; returns the new string section. */
export function dedupStrings(state: DedupState, input: StringInputs): Uint8Array {
  const startStrOff = input.baseStrings ? input.baseStrings.length : 0;
  const text = bytesToLatin1(input.strings);
  const remapped = new Int32Array(input.strings.length).fill(-1);
  let baseIndex: Map<string, number> | undefined;
  const outIndex = new Map<string, number>();
  const outParts: string[] = [];
  let outLength = 0;
  const addOut = (s: string): number => {
    let off = outIndex.get(s);
    if (off === undefined) {
      off = outLength;
      outIndex.set(s, off);
      outParts.push(s);
      outLength += s.length + 1;
    }
    return off;
  };
  // Without a base the section keeps its leading empty string at offset 0.
  if (!input.baseStrings) addOut("");

  const remap = (off: number): number => {
    if (off === 0 || off < startStrOff) return off;
    const local = off - startStrOff;
    const known = remapped[local] as number;
    if (known >= 0) return known;
    const s = text.slice(local, text.indexOf("\0", local));
    let result: number | undefined;
    if (input.baseStrings) {
      baseIndex ??= indexStrings(input.baseStrings);
      result = baseIndex.get(s);
    }
    if (result === undefined) result = startStrOff + addOut(s);
    remapped[local] = result;
    return result;
  };

  const words = state.words;
  const visit = (w: number): void => {
    words[w] = remap(words[w] as number);
  };
  for (let id = state.startId; id < state.typeCount; id++) forEachStringWord(words, state.at(id), visit);

  if (input.ext) {
    const ext = input.ext;
    const view = new DataView(ext.bytes.buffer, ext.bytes.byteOffset, ext.bytes.byteLength);
    for (const field of ext.stringFields) {
      const off = view.getUint32(field, ext.littleEndian);
      if (off >= startStrOff + input.strings.length) {
        throw new BtfDedupError(`string offset ${off} out of range`, { section: ".BTF.ext", offset: field });
      }
      view.setUint32(field, remap(off), ext.littleEndian);
    }
  }
  return latin1ToBytes(outParts, outLength);
}
