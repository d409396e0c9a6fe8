// The core_relo part of .BTF.ext as the CO-RE engine wants it: per-section record lists with section names and
// access strings resolved through the local BTF. Decoding and bounds checks are the package's parseBtfExt (record
// sizes come from the file, so records larger than today's 16 bytes are accepted and their extra bytes skipped, as
// libbpf does); this file only maps its records and turns its errors into CoreRelocationError.

import { parseBtfExt } from "../btf-ext.js";
import { BtfError } from "../errors.js";
import type { CoreBtf } from "./btf-view.js";
import { CoreRelocationError } from "./errors.js";
import type { CoreReloRecord, CoreReloSection } from "./relocate.js";

function bad(message: string): never {
  throw new CoreRelocationError("BAD_RECORD", `.BTF.ext: ${message}`);
}

function decode(ext: Uint8Array): ReturnType<typeof parseBtfExt> {
  try {
    return parseBtfExt(ext);
  } catch (error) {
    // BtfError's message already names the section and byte offset.
    if (error instanceof BtfError) throw new CoreRelocationError("BAD_RECORD", error.message);
    throw error;
  }
}

/** Decodes core_relo records; `btf` resolves section names and access strings. Empty when the object has none. */
export function parseCoreRelos(ext: Uint8Array, btf: CoreBtf): CoreReloSection[] {
  // Objects from old compilers stop after line_info (hdr_len 24): coreRelo is undefined, no CO-RE relocations.
  const coreRelo = decode(ext).coreRelo;
  if (!coreRelo) return [];
  return coreRelo.sections.map((section): CoreReloSection => {
    const name = btf.stringAt(section.nameOff);
    if (name === undefined || name === "") bad(`core_relo section name offset ${section.nameOff} is out of range`);
    const records = section.records.map(
      (record): CoreReloRecord => ({
        insnOff: record.insnOff,
        typeId: record.typeId,
        accessStrOff: record.accessStrOff,
        accessString: btf.stringAt(record.accessStrOff),
        kind: record.kind,
      }),
    );
    return { name, records };
  });
}
