// Program type, expected attach type, attach target and load flags from the SEC() name (libbpf's
// bpf_object_init_progs + libbpf_prepare_prog_load): a leading '?' only turns autoload off.

import { LoaderError } from "../errors.js";
import { findSectionDef, SecFlag, type SectionTable } from "../sections/section-defs.js";

export interface ProgramTypeOverride {
  readonly type: number;
  readonly expectedAttachType?: number;
}

export interface ProgramClass {
  readonly section: string;
  readonly autoload: boolean;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly attachTo: string | undefined;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
  readonly secFlags: number;
  readonly secPattern: string | undefined;
}

const XDP = 6;

export function classifyProgram(
  program: string,
  sectionName: string,
  table: SectionTable,
  override: ProgramTypeOverride | undefined,
  allowUnknown: boolean,
): ProgramClass {
  const autoload = !sectionName.startsWith("?");
  const section = autoload ? sectionName : sectionName.slice(1);
  const def = findSectionDef(section, table);
  if (!def && !override && !allowUnknown) {
    throw new LoaderError(
      "UNKNOWN_SECTION",
      `prog '${program}': unrecognized ELF section name '${section}' (libbpf ${table} table); give the program type explicitly`,
      { program, section },
    );
  }
  const flags = def?.flags ?? 0;
  const slash = section.indexOf("/");
  return {
    section,
    autoload,
    type: override?.type ?? def?.progType ?? 0,
    expectedAttachType: override?.expectedAttachType ?? def?.attachType ?? 0,
    attachTo: (flags & SecFlag.ATTACH_BTF) !== 0 && slash >= 0 ? section.slice(slash + 1) : undefined,
    sleepable: (flags & SecFlag.SLEEPABLE) !== 0,
    xdpFrags: (override?.type ?? def?.progType) === XDP && (flags & SecFlag.XDP_FRAGS) !== 0,
    secFlags: flags,
    secPattern: def?.pattern,
  };
}
