#!/usr/bin/env node
// Generates packages/asm/src/tables.generated.ts from the UAPI header (/usr/include/linux/bpf.h) and from the
// name lists bpftool 7.1 has compiled in (`bpftool feature list_builtins ...`).
//
// Usage: node scripts/gen-asm-tables.mjs [path/to/bpf.h]
//
// Two views are emitted on purpose: the UAPI view (every id the header on this machine knows) and the bpftool 7.1
// view (the names libbpf 1.1 knows), because bpftool prints a number instead of a name for ids past its tables.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const headerPath = process.argv[2] ?? "/usr/include/linux/bpf.h";
const outPath = fileURLToPath(new URL("../packages/asm/src/tables.generated.ts", import.meta.url));
const source = readFileSync(headerPath, "utf8");
const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");

function fail(message) {
  console.error(`gen-asm-tables: ${message}`);
  process.exit(1);
}

/** Entries of `enum <name> { ... }` with C's implicit numbering; skips the MAX sentinels. */
function parseEnum(name, prefix) {
  const match = new RegExp(`enum\\s+${name}\\s*\\{([\\s\\S]*?)\\};`).exec(withoutComments);
  if (!match) fail(`enum ${name} not found in ${headerPath}`);
  const entries = [];
  let next = 0;
  for (const raw of match[1].split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.+))?$/.exec(item);
    if (!m) fail(`cannot parse enum ${name} entry '${item}'`);
    let value = next;
    if (m[2] !== undefined) {
      const expr = m[2].trim();
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(expr)) value = Number(expr);
      else {
        const ref = entries.find((e) => e.cName === expr);
        if (!ref) fail(`enum ${name}: unsupported initialiser '${expr}'`);
        value = ref.value;
      }
    }
    next = value + 1;
    if (/^(__)?MAX_|^__MAX/.test(m[1])) continue;
    if (!m[1].startsWith(prefix)) fail(`enum ${name}: '${m[1]}' lacks prefix ${prefix}`);
    entries.push({ cName: m[1], name: m[1].slice(prefix.length), value });
  }
  entries.forEach((e, i) => {
    if (e.value !== i) fail(`enum ${name} is not dense at ${e.cName}=${e.value}`);
  });
  return entries;
}

/** Helper names in id order from the __BPF_FUNC_MAPPER list (old `FN(x)` and new `FN(x, id, ctx)` styles). */
function parseHelpers() {
  const start = withoutComments.search(/#define\s+_{2,3}BPF_FUNC_MAPPER\s*\(/);
  if (start < 0) fail("__BPF_FUNC_MAPPER not found");
  // The macro body runs over backslash-continued lines.
  const lines = withoutComments.slice(start).split("\n");
  let body = "";
  for (const line of lines) {
    body += `${line}\n`;
    if (!line.trimEnd().endsWith("\\")) break;
  }
  const helpers = [];
  for (const m of body.matchAll(/FN\(\s*([a-z0-9_]+)\s*(?:,\s*(\d+))?/g)) {
    const id = m[2] === undefined ? helpers.length : Number(m[2]);
    if (id !== helpers.length) fail(`helper ids not dense at ${m[1]}=${id}`);
    helpers.push(m[1]);
  }
  if (helpers[1] !== "map_lookup_elem") fail("helper 1 is not map_lookup_elem");
  return helpers;
}

function bpftoolList(kind) {
  try {
    return execFileSync("bpftool", ["feature", "list_builtins", kind], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  } catch (err) {
    fail(`bpftool feature list_builtins ${kind} failed (bpftool 7.1 is needed to generate): ${err.message}`);
  }
}

/** bpftool's lists must agree with the header on every id they have. */
function checkPrefix(what, uapiNames, bpftoolNames) {
  bpftoolNames.forEach((n, i) => {
    if (uapiNames[i] !== n) fail(`${what}: bpftool name #${i} '${n}' differs from UAPI '${uapiNames[i]}'`);
  });
}

const progTypes = parseEnum("bpf_prog_type", "BPF_PROG_TYPE_");
const mapTypes = parseEnum("bpf_map_type", "BPF_MAP_TYPE_");
const attachTypes = parseEnum("bpf_attach_type", "BPF_");
const linkTypes = parseEnum("bpf_link_type", "BPF_LINK_TYPE_");
const helpers = parseHelpers();

const lower = (entries) => entries.map((e) => e.name.toLowerCase());
const bpftool = {
  prog: bpftoolList("prog_types"),
  map: bpftoolList("map_types"),
  attach: bpftoolList("attach_types"),
  link: bpftoolList("link_types"),
  helpers: bpftoolList("helpers"),
};
checkPrefix("prog types", lower(progTypes), bpftool.prog);
checkPrefix("map types", lower(mapTypes), bpftool.map);
checkPrefix("attach types", lower(attachTypes), bpftool.attach);
checkPrefix("link types", lower(linkTypes), bpftool.link);
checkPrefix(
  "helpers",
  helpers.map((h) => `bpf_${h}`),
  bpftool.helpers,
);

const constObject = (name, doc, entries) =>
  `/** ${doc} */\nexport const ${name} = {\n${entries.map((e) => `  ${e.name}: ${e.value},`).join("\n")}\n} as const;\n`;
const stringList = (name, doc, names) =>
  `/** ${doc} */\nexport const ${name}: readonly string[] = [\n${names.map((n) => `  "${n}",`).join("\n")}\n];\n`;

const out = `// GENERATED by scripts/gen-asm-tables.mjs from /usr/include/linux/bpf.h — do not edit; regenerate with node scripts/gen-asm-tables.mjs
// bpftool 7.1 lists come from \`bpftool feature list_builtins {prog_types,map_types,attach_types,link_types,helpers}\`.

${constObject("ProgType", "`enum bpf_prog_type` (BPF_PROG_TYPE_*).", progTypes)}
${constObject("MapType", "`enum bpf_map_type` (BPF_MAP_TYPE_*).", mapTypes)}
${constObject("AttachType", "`enum bpf_attach_type` (BPF_*).", attachTypes)}
${constObject("LinkType", "`enum bpf_link_type` (BPF_LINK_TYPE_*).", linkTypes)}
${constObject(
  "HelperId",
  "Helper function ids from `__BPF_FUNC_MAPPER` (BPF_FUNC_*).",
  helpers.map((name, value) => ({ name, value })),
)}
${stringList(
  "HELPER_NAMES",
  "Helper names indexed by id, as the kernel's disasm.c prints them (`bpf_` + name).",
  helpers.map((h) => `bpf_${h}`),
)}
${stringList("PROG_TYPE_NAMES", "Lower-case program type names indexed by id (UAPI view).", lower(progTypes))}
${stringList("MAP_TYPE_NAMES", "Lower-case map type names indexed by id (UAPI view).", lower(mapTypes))}
${stringList("ATTACH_TYPE_NAMES", "Lower-case attach type names indexed by id (UAPI view).", lower(attachTypes))}
${stringList("LINK_TYPE_NAMES", "Lower-case link type names indexed by id (UAPI view).", lower(linkTypes))}
${stringList("BPFTOOL_PROG_TYPE_NAMES", "Program type names bpftool 7.1 (libbpf 1.1) knows; ids past the end print as numbers.", bpftool.prog)}
${stringList("BPFTOOL_MAP_TYPE_NAMES", "Map type names bpftool 7.1 (libbpf 1.1) knows.", bpftool.map)}
${stringList("BPFTOOL_ATTACH_TYPE_NAMES", "Attach type names bpftool 7.1 (libbpf 1.1) knows.", bpftool.attach)}
${stringList("BPFTOOL_LINK_TYPE_NAMES", "Link type names bpftool 7.1 (libbpf 1.1) knows.", bpftool.link)}
${stringList("BPFTOOL_HELPER_NAMES", "Helper names bpftool 7.1 knows, indexed by id.", bpftool.helpers)}`;

writeFileSync(outPath, out);
console.log(
  `wrote ${outPath}: ${helpers.length} helpers, ${progTypes.length} prog types, ${mapTypes.length} map types, ` +
    `${attachTypes.length} attach types, ${linkTypes.length} link types`,
);
