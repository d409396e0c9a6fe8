// The -f table moved to cli/pinned-table.ts (shared by prog, map and link show); this name stays for importers.
export { buildPinnedTable, type PinnedTable as LibbpfHashmap } from "../../cli/pinned-table.js";
