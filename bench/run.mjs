// Runs every bench/*.bench.mjs (or those named on the command line) and prints one table:
// what | ours | reference | ratio (ours / reference; below 1 means we are faster).
// Each bench module exports `async function run()` returning rows { what, ours, reference, unit, note? },
// where ours/reference are medians measured side by side in this same run.
// The whole run takes minutes, so each benchmark's rows are also printed as soon as it finishes.
import { readdirSync } from "node:fs";
import { delimiter, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// `pnpm bench` puts node_modules/.bin (our `bpftool`) first on PATH; the reference must be the system's bpftool.
process.env.PATH = (process.env.PATH ?? "")
  .split(delimiter)
  .filter((d) => !d.endsWith(`node_modules${sep}.bin`))
  .join(delimiter);

const dir = fileURLToPath(new URL(".", import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const fmt = (v, unit) => (v === undefined || v === null ? "-" : `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ${unit}`);

/** The one place that formats rows: a header and the rows, columns padded to the widest cell among them. */
function printTable(rows) {
  const table = [["what", "ours", "reference", "ratio", "note"]];
  for (const r of rows) {
    const ratio = r.ours !== undefined && r.reference ? (r.ours / r.reference).toFixed(2) : "-";
    table.push([r.what, fmt(r.ours, r.unit), fmt(r.reference, r.unit), ratio, r.note ?? ""]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
  for (const [i, row] of table.entries()) {
    console.log(
      row
        .map((c, j) => String(c).padEnd(widths[j]))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

const rows = [];
for (const [i, file] of files.entries()) {
  console.log(`[${i + 1}/${files.length}] ${file}: running`);
  let fileRows;
  try {
    const mod = await import(pathToFileURL(dir + file).href);
    fileRows = (await mod.run()).map((row) => ({ file, ...row }));
  } catch (err) {
    fileRows = [{ file, what: `${file}: failed`, note: String(err?.message ?? err).split("\n")[0] }];
  }
  printTable(fileRows);
  console.log();
  rows.push(...fileRows);
}

console.log(`All benchmarks (${files.length}):`);
printTable(rows);
