// PerfEventArrayReader and RingBufferReader against the real kernel: what a program sends with
// bpf_perf_event_output / bpf_ringbuf_output comes back as records, perf map slots are set while reading and
// emptied on close, and nothing stays open.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KernelBackend, loadCollection, PerfEventArrayReader, RingBufferReader } from "@bpfkit/kernel";
import { expect, it } from "vitest";
import { describeWith } from "./support/env.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/bpftool_maps.bpf.o", import.meta.url));
const PERF_RECORD_SAMPLE = 9;

describeWith(["root"], "kernel backend: perf event arrays", () => {
  it("reads samples a program sends, and releases its events on close", () => {
    const fdsBefore = readdirSync("/proc/self/fd").length;
    const backend = new KernelBackend();
    try {
      using objects = loadCollection(FIXTURE, { backend });
      const perf = objects.map("perf").fd;
      const reader = new PerfEventArrayReader(backend, perf);
      expect(reader.cpus.length).toBeGreaterThan(0);
      expect(reader.poll(0)).toEqual([]);
      objects.program("use_maps").testRun({ dataIn: new Uint8Array(64), repeat: 3 });
      const records = reader.poll(1000);
      expect(records.length).toBe(3);
      for (const r of records) {
        expect(r.type).toBe(PERF_RECORD_SAMPLE);
        expect(reader.cpus).toContain(r.cpu);
        const view = new DataView(r.bytes.buffer);
        expect(view.getUint16(6, true)).toBe(r.bytes.length); // header.size
        expect(view.getUint32(16, true)).toBe(4); // raw size: the u32 key the program sends
        expect([...r.bytes.subarray(20, 24)]).toEqual([0, 0, 0, 0]);
      }
      expect(reader.poll(0)).toEqual([]); // consumed
      reader.close();
      reader.close();
      // the slots are empty again: the program's output now fails quietly (ENOENT inside the helper)
      objects.program("use_maps").testRun({ dataIn: new Uint8Array(64) });
      expect(() => reader.poll(0)).toThrow("closed");
    } finally {
      backend.close();
    }
    expect(readdirSync("/proc/self/fd").length).toBe(fdsBefore);
  });

  it("reads one CPU into a chosen slot", () => {
    const backend = new KernelBackend();
    try {
      using objects = loadCollection(FIXTURE, { backend });
      using reader = new PerfEventArrayReader(backend, objects.map("perf").fd, {
        cpus: [{ cpu: 0, key: 1 }],
        pageCount: 1,
      });
      expect(reader.cpus).toEqual([0]);
      expect(() => new PerfEventArrayReader(backend, objects.map("perf").fd, { pageCount: 3 })).toThrow("power of 2");
    } finally {
      backend.close();
    }
  });

  it("reads ring buffer records in order, and only committed ones", () => {
    const backend = new KernelBackend();
    try {
      using objects = loadCollection(FIXTURE, { backend });
      using reader = new RingBufferReader(backend, objects.map("ring").fd);
      expect(reader.poll(0)).toEqual([]);
      // 4096-byte ring, 16 bytes a record: more runs than fit wrap the positions around the ring
      for (let round = 0; round < 3; round++) {
        objects.program("use_maps").testRun({ dataIn: new Uint8Array(64), repeat: 200 });
        const records = reader.poll(100);
        expect(records.length).toBe(200);
        for (const r of records) expect([...r]).toEqual([0, 0, 0, 0]);
      }
      expect(reader.poll(0)).toEqual([]);
      expect(() => new RingBufferReader(backend, objects.map("perf").fd)).toThrow("not a ring buffer");
      reader.close();
      expect(() => reader.poll(0)).toThrow("closed");
    } finally {
      backend.close();
    }
  });
});
