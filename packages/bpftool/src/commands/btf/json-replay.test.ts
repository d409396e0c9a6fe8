import { describe, expect, it } from "vitest";
import { JsonWriter } from "../../json-writer.js";
import { replayJson } from "./json-replay.js";

function replay(text: string, pretty: boolean): string {
  const json = new JsonWriter(pretty);
  replayJson(text, json);
  return json.finish().take();
}

describe("replayJson", () => {
  it("lays a compact document out as bpftool's pretty writer (`bpftool -p btf dump file` of one INT)", () => {
    const compact =
      '{"types":[{"id":1,"kind":"INT","name":"int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"}]}';
    expect(replay(compact, true)).toBe(
      "{\n" +
        '    "types": [{\n' +
        '            "id": 1,\n' +
        '            "kind": "INT",\n' +
        '            "name": "int",\n' +
        '            "size": 4,\n' +
        '            "bits_offset": 0,\n' +
        '            "nr_bits": 32,\n' +
        '            "encoding": "SIGNED"\n' +
        "        }\n" +
        "    ]\n" +
        "}\n",
    );
    expect(replay(compact, false)).toBe(`${compact}\n`);
  });

  it("copies string values with their escapes, and empty containers and negative numbers as they are", () => {
    const compact = '{"a":"x\\"y\\n\\\'z","b":[],"c":{},"d":[-1,2],"e":[{"f":"]},"}]}';
    expect(replay(compact, false)).toBe(`${compact}\n`);
    expect(replay(compact, true)).toContain('"a": "x\\"y\\n\\\'z"');
  });
});
