import { describe, expect, it } from "vitest";
import { BTF_PROBES, rawBtf } from "./probe-btf.js";

describe("probe BTF blobs", () => {
  it("have a valid header and sections that add up", () => {
    expect(Object.keys(BTF_PROBES).length).toBeGreaterThan(0);
    for (const [name, build] of Object.entries(BTF_PROBES)) {
      const btf = build();
      const view = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
      expect(view.getUint16(0, true), name).toBe(0xeb9f);
      expect(view.getUint8(2)).toBe(1);
      const hdrLen = view.getUint32(4, true);
      const typeLen = view.getUint32(12, true);
      const strOff = view.getUint32(16, true);
      const strLen = view.getUint32(20, true);
      expect(hdrLen + typeLen + strLen, name).toBe(btf.length);
      expect(strOff).toBe(typeLen);
      // The string section starts with the empty string.
      expect(btf[hdrLen + strOff]).toBe(0);
    }
  });

  it("encodes type words in host order after a 24-byte header", () => {
    const btf = rawBtf([0x01020304], "\0");
    expect(btf.length).toBe(24 + 4 + 1);
    expect(new DataView(btf.buffer).getUint32(24, true)).toBe(0x01020304);
  });
});
