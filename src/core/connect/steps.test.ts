import { encodeFunctionData, getAddress, parseAbiItem } from "viem";
import { describe, expect, it } from "vitest";
import { JunctionError } from "../errors.ts";
import {
  encodeStep,
  type Placeholder,
  parseSteps,
  STEP_LIMITS,
  type Step,
  stepJson,
  substituteStep,
} from "./steps.ts";

const TOKEN = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const VAULT = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045";
const RECEIVER = "0x1111111111111111111111111111111111111111";
const DEPOSIT_ADDRESS = "0x2222222222222222222222222222222222222222";
const INTERMEDIARY = "0x3333333333333333333333333333333333333333";
const ALL = new Set<Placeholder>(["{MIN_AMOUNT_OUT}", "{AMOUNT_IN}", "{DEPOSIT_ADDRESS}", "{INTERMEDIARY}"]);
const VALUES = {
  "{MIN_AMOUNT_OUT}": "990000",
  "{AMOUNT_IN}": "1000000",
  "{DEPOSIT_ADDRESS}": DEPOSIT_ADDRESS,
  "{INTERMEDIARY}": INTERMEDIARY,
};

/** A bridge-in: approve the vault, then deposit what arrived for the intermediary. */
const APPROVE = {
  to: TOKEN,
  functionSignature: "approve(address,uint256)",
  parameters: [VAULT, "{MIN_AMOUNT_OUT}"],
  value: "0",
  metadata: { name: "Approve" },
};
const DEPOSIT = {
  to: VAULT,
  functionSignature: "deposit(uint256,address)",
  parameters: ["{MIN_AMOUNT_OUT}", "{INTERMEDIARY}"],
  value: "0",
  metadata: { name: "Deposit", description: "Deposit into the vault", icon: "vault.svg" },
};

/** `levels` JSON arrays around "1". */
const nest = (levels: number): unknown => (levels === 0 ? "1" : [nest(levels - 1)]);

/** The message of the `invalid_argument` error `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(JunctionError);
    expect((error as JunctionError).kind).toBe("invalid_argument");
    return (error as Error).message;
  }
  throw new Error("accepted");
}

/** Calldata for `signature` and `args`, encoded by viem alone. */
function viemCalldata(signature: string, args: unknown[]) {
  return encodeFunctionData({ abi: [parseAbiItem(`function ${signature}`)], args } as never);
}

describe("parseSteps: accepted steps", () => {
  it("parses a bridge-in (approve + deposit with {MIN_AMOUNT_OUT})", () => {
    const steps = parseSteps(
      [APPROVE, DEPOSIT],
      new Set<Placeholder>(["{MIN_AMOUNT_OUT}", "{INTERMEDIARY}"]),
    );
    expect(steps).toEqual([
      { ...APPROVE, value: 0n },
      { ...DEPOSIT, value: 0n },
    ]);
  });

  it("encodes the bridge-in exactly as viem does", () => {
    const [approve, deposit] = parseSteps([APPROVE, DEPOSIT], ALL) as [Step, Step];
    expect(encodeStep(approve, VALUES)).toEqual({
      to: TOKEN,
      value: 0n,
      data: viemCalldata("approve(address,uint256)", [VAULT, 990000n]),
    });
    expect(encodeStep(deposit, VALUES).data).toBe(
      viemCalldata("deposit(uint256,address)", [990000n, INTERMEDIARY]),
    );
  });

  it("normalises `to` to its checksum form and reads value as wei", () => {
    const [step] = parseSteps([{ ...APPROVE, to: TOKEN.toLowerCase(), value: "1000000000000000000" }], ALL);
    expect(step?.to).toBe(TOKEN);
    expect(step?.value).toBe(10n ** 18n);
  });

  it("accepts no steps, and as many as the limit", () => {
    expect(parseSteps([], ALL)).toEqual([]);
    expect(parseSteps(Array(STEP_LIMITS.maxSteps).fill(APPROVE), ALL)).toHaveLength(STEP_LIMITS.maxSteps);
  });

  it("accepts a step without metadata, and any extra metadata keys", () => {
    const { metadata: _, ...bare } = APPROVE;
    expect(parseSteps([bare], ALL)[0]).not.toHaveProperty("metadata");
    expect(parseSteps([DEPOSIT], ALL)[0]?.metadata).toEqual(DEPOSIT.metadata);
  });

  it("encodes every supported type, with placeholders inside tuples and arrays, as viem does", () => {
    const signature = "f((address,uint128)[],int8,bool,bytes,bytes4,string,uint256[2],address)";
    const parameters = [
      [
        ["{DEPOSIT_ADDRESS}", "{AMOUNT_IN}"],
        [RECEIVER, "0xff"],
      ],
      "-128",
      "true",
      "0x",
      "0xdeadbeef",
      "{AMOUNT_IN} is only a placeholder when it is the whole string",
      ["0", "115792089237316195423570985008687907853269984665640564039457584007913129639935"],
      "{INTERMEDIARY}",
    ];
    const [step] = parseSteps([{ to: VAULT, functionSignature: signature, parameters, value: "7" }], ALL);
    expect(encodeStep(step as Step, VALUES)).toEqual({
      to: VAULT,
      value: 7n,
      data: viemCalldata(signature, [
        [
          [DEPOSIT_ADDRESS, 1000000n],
          [RECEIVER, 255n],
        ],
        -128,
        true,
        "0x",
        "0xdeadbeef",
        parameters[5],
        [0n, 2n ** 256n - 1n],
        INTERMEDIARY,
      ]),
    });
  });

  it("accepts types nested as deep as the limit", () => {
    const signature = "f(uint256[][][][][][])";
    expect(
      parseSteps([{ ...APPROVE, functionSignature: signature, parameters: [nest(6)] }], ALL),
    ).toHaveLength(1);
  });

  it("accepts a signature of exactly the byte limit", () => {
    const signature = `${"a".repeat(STEP_LIMITS.maxFunctionSignatureBytes - 2)}()`;
    expect(parseSteps([{ ...APPROVE, functionSignature: signature, parameters: [] }], ALL)).toHaveLength(1);
  });

  it("does not count metadata towards the step depth", () => {
    const deep = { ...APPROVE, metadata: { name: "Deep", extra: nest(STEP_LIMITS.maxStepDepth + 5) } };
    expect(parseSteps([deep], ALL)[0]?.metadata).toEqual(deep.metadata);
  });
});

describe("parseSteps: refused steps", () => {
  const TOO_LONG = `${"a".repeat(STEP_LIMITS.maxFunctionSignatureBytes - 1)}()`;
  const MISCHECKSUMMED = VAULT.replace("d8dA", "d8DA");

  it.each<[string, unknown, string]>([
    ["not an array", { steps: [] }, "steps: must be an array of step objects"],
    ["more than 30 steps", Array(31).fill(APPROVE), "steps: at most 30 steps, got 31"],
    ["a step that is not an object", [APPROVE, "approve"], "steps[1]: must be an object"],
    ["a step that is an array", [[]], "steps[0]: must be an object"],
    ["a step that is null", [null], "steps[0]: must be an object"],
  ])("refuses %s", (_name, raw, message) => {
    expect(refusal(() => parseSteps(raw, ALL))).toContain(message);
  });

  it.each<[string, Record<string, unknown>, string]>([
    // keys
    [
      "an unknown key",
      { data: "0x" },
      'steps[0]: unknown key "data"; a step accepts only to, functionSignature',
    ],
    [
      "a re-cased key",
      { FunctionSignature: "f()" },
      'unknown key "FunctionSignature"; keys are case-sensitive, write "functionSignature"',
    ],
    ["an upper-cased key", { TO: VAULT }, 'unknown key "TO"; keys are case-sensitive, write "to"'],
    ["__proto__ as a key", JSON.parse('{"__proto__":{}}'), 'unknown key "__proto__"'],
    ["a missing to", { to: undefined }, "steps[0].to: missing"],
    ["a missing value", { value: undefined }, "steps[0].value: missing"],
    // to
    ["a short address", { to: "0x1234" }, "steps[0].to: must be an address"],
    ["a wrong checksum", { to: MISCHECKSUMMED }, "steps[0].to: must be an address"],
    ["an all-uppercase address", { to: `0x${"AB".repeat(20)}` }, "steps[0].to: must be an address"],
    ["a numeric to", { to: 1 }, "steps[0].to: must be an address"],
    // value
    ["a negative value", { value: "-1" }, "steps[0].value: must be a decimal string of wei"],
    ["a fractional value", { value: "1.5" }, "steps[0].value: must be a decimal string of wei"],
    ["a word as value", { value: "abc" }, "steps[0].value: must be a decimal string of wei"],
    ["a hex value", { value: "0x10" }, "steps[0].value: must be a decimal string of wei"],
    ["an empty value", { value: "" }, "steps[0].value: must be a decimal string of wei"],
    ["a numeric value", { value: 1 }, "steps[0].value: must be a decimal string of wei"],
    ["a value above uint256", { value: (2n ** 256n).toString() }, "steps[0].value: out of range for uint256"],
    // functionSignature
    ["a numeric signature", { functionSignature: 1 }, "steps[0].functionSignature: must be a string"],
    [
      "a 1025-byte signature",
      { functionSignature: TOO_LONG, parameters: [] },
      "functionSignature: 1025 bytes, at most 1024",
    ],
    [
      "a space after a comma",
      { functionSignature: "approve(address, uint256)" },
      'not in canonical form; write "approve(address,uint256)"',
    ],
    [
      "the uint alias",
      { functionSignature: "approve(address,uint)" },
      'write "approve(address,uint256)" (full type names such as uint256',
    ],
    [
      "a lone uint alias",
      { functionSignature: "deposit(uint)", parameters: ["1"] },
      'write "deposit(uint256)"',
    ],
    [
      "parameter names",
      { functionSignature: "approve(address spender,uint256 amount)" },
      'write "approve(address,uint256)"',
    ],
    [
      "a returns clause",
      { functionSignature: "approve(address,uint256) returns (bool)" },
      'write "approve(address,uint256)"',
    ],
    [
      "the function keyword",
      { functionSignature: "function approve(address,uint256)" },
      "not a Solidity function signature",
    ],
    [
      "an unknown type",
      { functionSignature: "approve(Spender,uint256)" },
      "not a Solidity function signature (Unknown type.)",
    ],
    [
      "the tuple keyword",
      { functionSignature: "f(tuple(uint256))", parameters: [["1"]] },
      "not a Solidity function signature",
    ],
    [
      "a zero-size array",
      { functionSignature: "f(uint256[0])", parameters: [[]] },
      "fixed array sizes must be positive",
    ],
    [
      "a size with a leading zero",
      { functionSignature: "f(uint256[01])", parameters: [["1"]] },
      "fixed array sizes must be positive",
    ],
    [
      "array nesting 7",
      { functionSignature: "f(uint256[][][][][][][])", parameters: [nest(7)] },
      "types nest 7 levels deep, at most 6",
    ],
    [
      "tuple nesting 7",
      { functionSignature: `f(${"(".repeat(7)}uint256${")".repeat(7)})`, parameters: [nest(7)] },
      "types nest 7 levels deep",
    ],
    [
      "mixed nesting 7",
      { functionSignature: "f((uint256,(address)[])[][][][])", parameters: [[]] },
      "types nest 7 levels deep",
    ],
    // parameters
    ["parameters that are not an array", { parameters: "x" }, "steps[0].parameters: must be an array"],
    [
      "too few parameters",
      { parameters: [VAULT] },
      "steps[0].parameters: approve(address,uint256) takes 2 parameters, got 1",
    ],
    ["too many parameters", { parameters: [VAULT, "1", "2"] }, "takes 2 parameters, got 3"],
    [
      "a non-numeric uint",
      { parameters: [VAULT, "lots"] },
      'steps[0].parameters[1]: must be a uint256 as a decimal string such as "1000"',
    ],
    ["a negative uint", { parameters: [VAULT, "-1"] }, "steps[0].parameters[1]: must be a uint256"],
    ["a uint with spaces", { parameters: [VAULT, " 1"] }, "steps[0].parameters[1]: must be a uint256"],
    [
      "a uint as a JSON number",
      { parameters: [VAULT, 1] },
      "steps[0].parameters[1]: must be a string holding a uint256",
    ],
    [
      "a uint as an array",
      { parameters: [VAULT, ["1"]] },
      "steps[0].parameters[1]: must be a string holding a uint256",
    ],
    [
      "a uint8 overflow",
      { functionSignature: "f(uint8)", parameters: ["256"] },
      "parameters[0]: out of range for uint8 (0 to 255)",
    ],
    [
      "an int8 underflow",
      { functionSignature: "f(int8)", parameters: ["-129"] },
      "out of range for int8 (-128 to 127)",
    ],
    ["a bad address", { parameters: ["0x12", "1"] }, "steps[0].parameters[0]: must be an address"],
    [
      "a mis-checksummed address",
      { parameters: [MISCHECKSUMMED, "1"] },
      "steps[0].parameters[0]: must be an address",
    ],
    [
      "a bool that is not true/false",
      { functionSignature: "f(bool)", parameters: ["yes"] },
      'must be "true" or "false"',
    ],
    [
      "odd-length bytes",
      { functionSignature: "f(bytes)", parameters: ["0x123"] },
      "must be 0x-prefixed hex with an even number",
    ],
    [
      "a short bytes32",
      { functionSignature: "f(bytes32)", parameters: [`0x${"00".repeat(31)}`] },
      "bytes32 needs exactly 32 bytes (64 hex digits), got 31",
    ],
    [
      "an unsupported type",
      { functionSignature: "f(function)", parameters: ["0x"] },
      "parameters of type function are not supported",
    ],
    [
      "a tuple with a missing component",
      { functionSignature: "f((uint256,address))", parameters: [["1"]] },
      "parameters[0]: must be a JSON array of the tuple's 2 components",
    ],
    [
      "a fixed array of the wrong length",
      { functionSignature: "f(uint256[2])", parameters: [["1"]] },
      "parameters[0]: must have exactly 2 items, got 1",
    ],
    [
      "an array written as a string",
      { functionSignature: "f(uint256[])", parameters: ["1,2"] },
      "parameters[0]: must be a JSON array",
    ],
    [
      "a bad item deep in an array of tuples",
      {
        functionSignature: "f((uint256,address)[])",
        parameters: [
          [
            ["1", RECEIVER],
            ["x", RECEIVER],
          ],
        ],
      },
      "steps[0].parameters[0][1][0]: must be a uint256",
    ],
    // placeholders
    [
      "an address placeholder in a uint slot",
      { parameters: [VAULT, "{DEPOSIT_ADDRESS}"] },
      "steps[0].parameters[1]: {DEPOSIT_ADDRESS} can only fill an address parameter, and this one is uint256",
    ],
    [
      "an amount placeholder in an address slot",
      { parameters: ["{AMOUNT_IN}", "1"] },
      "steps[0].parameters[0]: {AMOUNT_IN} can only fill an unsigned integer (uintN) parameter, and this one is address",
    ],
    [
      "an amount placeholder in an int slot",
      { functionSignature: "f(int256)", parameters: ["{AMOUNT_IN}"] },
      "this one is int256",
    ],
    [
      "an amount placeholder in a string slot",
      { functionSignature: "f(string)", parameters: ["{AMOUNT_IN}"] },
      "this one is string",
    ],
    [
      "a misplaced placeholder inside a tuple",
      { functionSignature: "f((uint256,address)[])", parameters: [[["1", "{MIN_AMOUNT_OUT}"]]] },
      "steps[0].parameters[0][0][1]: {MIN_AMOUNT_OUT} can only fill an unsigned integer",
    ],
    // metadata
    ["metadata that is not an object", { metadata: "Deposit" }, "steps[0].metadata: must be an object"],
    ["metadata that is null", { metadata: null }, "steps[0].metadata: must be an object"],
    ["a numeric metadata name", { metadata: { name: 1 } }, "steps[0].metadata.name: must be a string"],
    [
      "a non-string description",
      { metadata: { description: ["x"] } },
      "steps[0].metadata.description: must be a string",
    ],
    // depth
    [
      "a step nested 16 deep outside metadata",
      { parameters: nest(STEP_LIMITS.maxStepDepth) },
      "steps[0]: nests deeper than 15 levels (metadata not counted)",
    ],
  ])("refuses %s", (_name, change, message) => {
    expect(refusal(() => parseSteps([{ ...APPROVE, ...change }], ALL))).toContain(message);
  });

  it("checks depth only beyond the limit: a step 15 deep fails on its parameters instead", () => {
    const message = refusal(() =>
      parseSteps([{ ...APPROVE, parameters: nest(STEP_LIMITS.maxStepDepth - 1) }], ALL),
    );
    expect(message).toContain("steps[0].parameters: approve(address,uint256) takes 2 parameters, got 1");
  });

  it("names the step by its index and the given field", () => {
    const bad = { ...DEPOSIT, value: "-1" };
    expect(refusal(() => parseSteps([APPROVE, bad], ALL, "intent.steps"))).toMatch(
      /^intent\.steps\[1\]\.value: /,
    );
  });

  it.each<[string, Placeholder[], string]>([
    [
      "one other placeholder is",
      ["{AMOUNT_IN}", "{INTERMEDIARY}"],
      "(available: {AMOUNT_IN}, {INTERMEDIARY})",
    ],
    ["none are", [], "(available: none)"],
  ])("refuses a placeholder the execution kind cannot fill when %s", (_name, allowed, list) => {
    const message = refusal(() => parseSteps([APPROVE], new Set(allowed)));
    expect(message).toBe(
      `steps[0].parameters[1]: {MIN_AMOUNT_OUT} is not available for this kind of intent ${list}`,
    );
  });

  it("refuses a placeholder that is not allowed even deep inside an array", () => {
    const step = {
      ...APPROVE,
      functionSignature: "f(address[][])",
      parameters: [[[RECEIVER, "{INTERMEDIARY}"]]],
    };
    expect(refusal(() => parseSteps([step], new Set()))).toContain(
      "steps[0].parameters[0][0][1]: {INTERMEDIARY} is not available",
    );
  });
});

describe("encodeStep", () => {
  const [approve] = parseSteps([APPROVE], ALL) as [Step];

  it("refuses a placeholder without a value, naming the field", () => {
    expect(refusal(() => encodeStep(approve, {}, "steps[0]"))).toBe(
      "steps[0].parameters[1]: no value for {MIN_AMOUNT_OUT} yet",
    );
  });

  it("refuses a value that does not fit the slot", () => {
    const step: Step = { ...approve, functionSignature: "approve(address,uint8)" };
    expect(refusal(() => encodeStep(step, { "{MIN_AMOUNT_OUT}": "256" }))).toContain(
      "step.parameters[1]: out of range for uint8",
    );
  });

  it("accepts a hex amount", () => {
    expect(encodeStep(approve, { "{MIN_AMOUNT_OUT}": "0x0f" }).data).toBe(
      viemCalldata("approve(address,uint256)", [VAULT, 15n]),
    );
  });
});

describe("substituteStep", () => {
  it("replaces placeholders, also inside arrays, and leaves the step untouched", () => {
    const raw = {
      ...APPROVE,
      functionSignature: "f(address[],uint256,string)",
      parameters: [["{INTERMEDIARY}", RECEIVER], "{AMOUNT_IN}", "{AMOUNT_IN}!"],
    };
    const [step] = parseSteps([raw], ALL) as [Step];
    expect(substituteStep(step, VALUES)).toEqual({
      ...step,
      parameters: [[INTERMEDIARY, RECEIVER], "1000000", "{AMOUNT_IN}!"],
    });
    expect(step.parameters).toEqual(raw.parameters);
  });

  it("refuses a placeholder without a value", () => {
    const [step] = parseSteps([DEPOSIT], ALL) as [Step];
    expect(refusal(() => substituteStep(step, { "{MIN_AMOUNT_OUT}": "1" }))).toBe(
      "step.parameters[1]: no value for {INTERMEDIARY} yet",
    );
  });

  it("encodes to the same calldata as the step with its values", () => {
    const [step] = parseSteps([DEPOSIT], ALL) as [Step];
    expect(encodeStep(substituteStep(step, VALUES), {})).toEqual(encodeStep(step, VALUES));
  });
});

describe("stepJson", () => {
  it("gives the wire shape, which parses back to the same step", () => {
    const steps = parseSteps([APPROVE, { ...DEPOSIT, value: "12" }], ALL);
    const json = steps.map(stepJson);
    expect(json[1]).toEqual({ ...DEPOSIT, to: getAddress(VAULT), value: "12" });
    expect(parseSteps(JSON.parse(JSON.stringify(json)), ALL)).toEqual(steps);
  });

  it("has no metadata key when the step has none", () => {
    const { metadata: _, ...bare } = APPROVE;
    expect(Object.keys(stepJson(parseSteps([bare], ALL)[0] as Step))).toEqual([
      "to",
      "functionSignature",
      "parameters",
      "value",
    ]);
  });
});
