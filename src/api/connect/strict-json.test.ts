import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JunctionError } from "../../core/errors.ts";
import { MAX_JSON_DEPTH, parseStrictJson } from "./strict-json.ts";

const STEP = '{"to":"0x1111111111111111111111111111111111111111","value":"0"}';

/** The JunctionError `parseStrictJson` throws for `text`. */
function refusal(text: string): JunctionError {
  try {
    parseStrictJson(text);
  } catch (error) {
    expect(error).toBeInstanceOf(JunctionError);
    expect((error as JunctionError).kind).toBe("invalid_argument");
    return error as JunctionError;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe("parseStrictJson: valid bodies", () => {
  it.each([
    ["a request body", `{"steps":[${STEP},${STEP}],"metadata":{"name":"Deposit"}}`],
    ["scalars", '[true,false,null,"s",0,-0,1.5,-2e-3,1E+2,12345678901234567890,1e400]'],
    ["escapes", '["\\"\\\\\\/\\b\\f\\n\\r\\t","\\u00e9\\ud83d\\ude00","\\ud800"]'],
    ["whitespace JSON allows", ' \t\r\n{ "a" :\r\n[ 1 , 2 ] }\n'],
    ["the same key in sibling objects", '[{"a":1},{"a":2},{"b":{"a":3}}]'],
    ["keys differing only in case", '{"to":1,"TO":2,"To":3}'],
    ["a top-level string", '"hello"'],
    ["empty containers", '{"a":{},"b":[]}'],
  ])("parses %s as JSON.parse does", (_name, text) => {
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it("keeps a __proto__ key as data, as JSON.parse does", () => {
    const value = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("gives JS numbers exactly as JSON.parse does", () => {
    const text = "[0.1,9007199254740993,-1.7976931348623157e308,5e-324,1e-400]";
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    expect(Object.is(parseStrictJson("-0"), -0)).toBe(true);
  });

  it("agrees with JSON.parse on any JSON text without duplicate keys", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it("refuses what JSON.parse refuses and otherwise agrees with it, bar duplicates", () => {
    const jsonish = fc.constantFrom(
      ...'{}[],:"\\ 019-+.eEtrufalsn/*\t\n\r\u000b\u00a0\ufeff\u2028xu'.split(""),
    );
    fc.assert(
      fc.property(fc.array(jsonish, { maxLength: 12 }), (chars) => {
        const text = chars.join("");
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          refusal(text);
          return;
        }
        try {
          expect(parseStrictJson(text)).toEqual(expected);
        } catch (error) {
          expect((error as Error).message).toContain("duplicate key");
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("parseStrictJson: duplicate keys", () => {
  it.each([
    ["at the top level", '{"steps":[],"steps":[]}', 'body: duplicate key "steps" (line 1, column 13)'],
    ["in a step", `{"steps":[${STEP},{"to":"0x","value":"0","to":"0x"}]}`, 'steps[1]: duplicate key "to"'],
    [
      "in a step's metadata",
      '{"steps":[{"metadata":{"name":"a","name":"b"}}]}',
      'steps[0].metadata: duplicate key "name"',
    ],
    ["in an array nested in arrays", '[[1,{"a":1,"a":1}]]', '[0][1]: duplicate key "a"'],
    ["written with an escape", '{"to":1,"\\u0074o":2}', 'body: duplicate key "to"'],
    [
      "under a key that is not an identifier",
      '{"my key":{"x":{"x":1,"x":2}}}',
      '["my key"].x: duplicate key "x"',
    ],
    ["on a later line", '{\n  "a": 1,\n  "a": 2\n}', 'body: duplicate key "a" (line 3, column 3)'],
  ])("refuses a duplicate %s", (_name, text, message) => {
    expect(refusal(text).message).toContain(message);
  });
});

describe("parseStrictJson: syntax errors", () => {
  it.each([
    ["empty text", "", "line 1, column 1: expected a value"],
    ["only whitespace", "  \n ", "line 2, column 2: expected a value"],
    ["a trailing comma in an object", '{"a":1,}', "line 1, column 8: expected a property name"],
    ["a trailing comma in an array", "[1,]", "line 1, column 4: expected a value"],
    ["a line comment", '// note\n{"a":1}', "line 1, column 1: comments are not allowed"],
    ["a block comment", '{"a":/* x */1}', "line 1, column 6: comments are not allowed"],
    ["single quotes", "{'a':1}", "line 1, column 2: unexpected character"],
    ["an unquoted key", "{a:1}", "line 1, column 2: unexpected character"],
    ["a missing colon", '{"a" 1}', "line 1, column 6: expected ':'"],
    ["a missing comma", "[1 2]", "line 1, column 4: expected ','"],
    ["an unclosed object", '{"a":1', "line 1, column 7: expected '}'"],
    ["an unclosed array", "[1", "line 1, column 3: expected ']'"],
    ["two values", "{} {}", "line 1, column 4: unexpected text after the JSON value"],
    ["a leading zero", "01", "line 1, column 2: unexpected text after the JSON value"],
    ["a bare fraction point", "1.", "line 1, column 1: incomplete number"],
    ["NaN", "NaN", "line 1, column 1: unexpected character"],
    ["an unterminated string", '"abc', "line 1, column 1: unterminated string"],
    ["a raw tab in a string", '"a\tb"', "line 1, column 1: unescaped control character"],
    ["a bad escape", '"\\x"', "line 1, column 1: invalid escape sequence"],
    ["a bad unicode escape", '"\\u12"', "line 1, column 1: malformed \\u escape"],
    ["a byte order mark", '\ufeff{"a":1}', "line 1, column 1: unexpected character"],
  ])("refuses %s, saying where", (_name, text, message) => {
    const error = refusal(text);
    expect(error.message).toContain(`invalid JSON at ${message}`);
    expect(error.message).toContain("standard JSON (no comments, no trailing commas)");
  });
});

describe("parseStrictJson: depth", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(parseStrictJson(nested(MAX_JSON_DEPTH))).toEqual(JSON.parse(nested(MAX_JSON_DEPTH)));
    expect(refusal(nested(MAX_JSON_DEPTH + 1)).message).toContain(
      `nested deeper than ${MAX_JSON_DEPTH} levels (line 1, column ${MAX_JSON_DEPTH + 1})`,
    );
  });

  it("refuses a body of brackets filling 256 KB instead of overflowing the stack", () => {
    expect(refusal(nested(128 * 1024)).message).toMatch(/^(\[0\])+: nested deeper than/);
  });

  it("names the path of the container that is too deep", () => {
    const text = `{"steps":[{"metadata":{"x":${nested(MAX_JSON_DEPTH)}}}]}`;
    expect(refusal(text).message).toMatch(/^steps\[0\]\.metadata\.x(\[0\])+: nested deeper than/);
  });
});
