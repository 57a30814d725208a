import { type JSONPath, printParseErrorCode, visit } from "jsonc-parser";
import { JunctionError } from "../../core/errors.ts";

/**
 * Deepest object/array nesting a body may have. jsonc-parser recurses once per level, so a 256 KB
 * body of `[` would overflow the stack long before it ended; no legitimate body comes near this
 * (steps are limited to 15 levels, and only metadata may go deeper).
 */
export const MAX_JSON_DEPTH = 64;

/** What each jsonc-parser error code means, in words a client can act on. */
const SYNTAX_ERRORS: Record<ReturnType<typeof printParseErrorCode>, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "unexpected text after the JSON value",
  InvalidCommentToken: "comments are not allowed",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "incomplete number",
  InvalidUnicode: "malformed \\u escape",
  InvalidEscapeCharacter: "invalid escape sequence",
  InvalidCharacter: "unescaped control character in a string",
  "<unknown ParseErrorCode>": "syntax error",
};

interface ObjectFrame {
  kind: "object";
  entries: [string, unknown][];
  seen: Set<string>;
  /** The property whose value comes next. */
  key: string;
}

interface ArrayFrame {
  kind: "array";
  items: unknown[];
}

type Frame = ObjectFrame | ArrayFrame;

/**
 * Parses standard JSON (no comments, no trailing commas, nothing after the value) into the value
 * JSON.parse would give, but refuses any object that repeats a key: JSON.parse silently keeps the
 * last one, so a body with two `to` fields would be checked and run with whichever came last.
 * Throws `invalid_argument` naming the line and column of a syntax error, or the path of the
 * object with the duplicate.
 */
export function parseStrictJson(text: string): unknown {
  const stack: Frame[] = [];
  let root: unknown;

  const place = (value: unknown) => {
    const top = stack.at(-1);
    if (!top) root = value;
    else if (top.kind === "array") top.items.push(value);
    else top.entries.push([top.key, value]);
  };
  const open = (frame: Frame, line: number, column: number, path: JSONPath) => {
    if (stack.length >= MAX_JSON_DEPTH) {
      throw invalid(
        `${pathText(path)}: nested deeper than ${MAX_JSON_DEPTH} levels (${at(line, column)}); flatten it`,
      );
    }
    stack.push(frame);
  };
  const close = () => {
    const frame = stack.pop();
    // fromEntries defines own properties, so a "__proto__" key stays data as with JSON.parse.
    if (frame) place(frame.kind === "array" ? frame.items : Object.fromEntries(frame.entries));
  };

  visit(
    text,
    {
      onObjectBegin: (_offset, _length, line, column, path) =>
        open({ kind: "object", entries: [], seen: new Set(), key: "" }, line, column, path()),
      onObjectProperty: (key, _offset, _length, line, column, path) => {
        const frame = stack.at(-1) as ObjectFrame;
        if (frame.seen.has(key)) {
          throw invalid(
            `${pathText(path())}: duplicate key ${JSON.stringify(key)} (${at(line, column)}); ` +
              "each key may appear once per object, remove the repeated one",
          );
        }
        frame.seen.add(key);
        frame.key = key;
      },
      onObjectEnd: close,
      onArrayBegin: (_offset, _length, line, column, path) =>
        open({ kind: "array", items: [] }, line, column, path()),
      onArrayEnd: close,
      onLiteralValue: place,
      onError: (code, _offset, _length, line, column) => {
        // Stop at the first error: later ones are mostly echoes of it.
        throw invalid(
          `invalid JSON at ${at(line, column)}: ${SYNTAX_ERRORS[printParseErrorCode(code)]}; ` +
            "the body must be standard JSON (no comments, no trailing commas)",
        );
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  return root;
}

const invalid = (message: string) => new JunctionError("invalid_argument", message);

/** jsonc-parser counts lines and columns from 0; editors count from 1. */
const at = (line: number, column: number) => `line ${line + 1}, column ${column + 1}`;

/** A path as messages name fields, e.g. `steps[0].metadata`; "body" for the top-level value. */
function pathText(path: JSONPath): string {
  const text = path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      if (!/^[A-Za-z_$][\w$]*$/.test(segment)) return `[${JSON.stringify(segment)}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join("");
  return text || "body";
}
