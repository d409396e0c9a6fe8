// Runs every bench/*.bench.mjs (or those named on the command line) and prints one table:
// what | ours | reference | ratio (ours / reference; below 1 means we are faster).
// Each bench module exports `async function run()` returning rows { what, ours, reference, unit, note? },
// where ours/reference are medians measured side by side in this same run.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const rows = [];
for (const file of files) {
  const mod = await import(pathToFileURL(dir + file).href);
  try {
    for (const row of await mod.run()) rows.push({ file, ...row });
  } catch (err) {
    rows.push({ file, what: `${file}: failed`, note: String(err?.message ?? err).split("\n")[0] });
  }
}

const fmt = (v, unit) => (v === undefined || v === null ? "-" : `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ${unit}`);
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
