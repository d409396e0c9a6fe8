// The 24-byte BTF header: magic 0xEB9F (its byte order gives the blob's), version 1, flags, hdr_len, then the
// type and string sections as offsets relative to the end of the header.

import { BtfError } from "./errors.js";

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_SIZE = 24;

export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  /** Offsets relative to the end of the header (hdrLen). */
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** Reads and checks a BTF header; every section it describes lies inside `bytes`. */
export function parseBtfHeader(bytes: Uint8Array, section = ".BTF"): BtfHeader {
  const fail = (code: "TRUNCATED" | "BAD_MAGIC" | "BAD_VERSION" | "BAD_HEADER", message: string, offset: number) => {
    throw new BtfError(code, message, { section, offset });
  };
  if (bytes.length < BTF_HEADER_SIZE) fail("TRUNCATED", `${bytes.length} bytes is too short for a BTF header`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian = true;
  if (view.getUint16(0, true) !== BTF_MAGIC) {
    if (view.getUint16(0, false) !== BTF_MAGIC) fail("BAD_MAGIC", `bad BTF magic 0x${hex16(view.getUint16(0))}`, 0);
    littleEndian = false;
  }
  const version = view.getUint8(2);
  if (version !== 1) fail("BAD_VERSION", `unsupported BTF version ${version}`, 2);
  const flags = view.getUint8(3);
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < BTF_HEADER_SIZE || hdrLen > bytes.length) {
    fail("BAD_HEADER", `hdr_len ${hdrLen} outside [${BTF_HEADER_SIZE}, ${bytes.length}]`, 4);
  }
  const typeOff = view.getUint32(8, littleEndian);
  const typeLen = view.getUint32(12, littleEndian);
  const strOff = view.getUint32(16, littleEndian);
  const strLen = view.getUint32(20, littleEndian);
  const dataLen = bytes.length - hdrLen;
  if (typeOff + typeLen > dataLen)
    fail("BAD_HEADER", `type section ${typeOff}+${typeLen} past the data (${dataLen})`, 8);
  if (strOff + strLen > dataLen)
    fail("BAD_HEADER", `string section ${strOff}+${strLen} past the data (${dataLen})`, 16);
  if (typeOff % 4 !== 0) fail("BAD_HEADER", `type section offset ${typeOff} is not 4-byte aligned`, 8);
  if (typeLen % 4 !== 0) fail("BAD_HEADER", `type section length ${typeLen} is not a multiple of 4`, 12);
  if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen) {
    fail("BAD_HEADER", "type and string sections overlap", 8);
  }
  return { littleEndian, version, flags, hdrLen, typeOff, typeLen, strOff, strLen };
}

function hex16(v: number): string {
  return v.toString(16).padStart(4, "0");
}
