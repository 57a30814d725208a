import {
  type AbiFunction,
  type AbiParameter,
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  parseAbiItem,
  toFunctionSignature,
} from "viem";
import { JunctionError } from "../errors.ts";

/**
 * Limits on the steps of one request (Intents Connect contract). Type nesting counts every tuple
 * and every array dimension on the way down to a scalar, e.g. `uint256` is 0, `uint256[]` and
 * `(uint256)` are 1, `(uint256,(address)[])[]` is 4 (array, tuple, array, tuple); it equals how
 * deeply the parameter's JSON arrays nest. Step depth is the JSON nesting of a step object (the
 * object itself is level 1), its metadata not counted.
 */
export const STEP_LIMITS = {
  maxSteps: 30,
  maxFunctionSignatureBytes: 1024,
  maxTypeNesting: 6,
  maxStepDepth: 15,
} as const;

/** A parameter string the server replaces with a value only it knows when the step runs. */
export type Placeholder = "{MIN_AMOUNT_OUT}" | "{AMOUNT_IN}" | "{DEPOSIT_ADDRESS}" | "{INTERMEDIARY}";

/** The ABI slots each placeholder fits: amounts in unsigned integers, addresses in addresses. */
const PLACEHOLDER_SLOTS: Record<Placeholder, "amount" | "address"> = {
  "{MIN_AMOUNT_OUT}": "amount",
  "{AMOUNT_IN}": "amount",
  "{DEPOSIT_ADDRESS}": "address",
  "{INTERMEDIARY}": "address",
};

/** Stand-ins that prove a step encodes before the real values exist; 1 fits every uintN. */
const SAMPLE_VALUES: Record<Placeholder, string> = {
  "{MIN_AMOUNT_OUT}": "1",
  "{AMOUNT_IN}": "1",
  "{DEPOSIT_ADDRESS}": "0x0000000000000000000000000000000000000001",
  "{INTERMEDIARY}": "0x0000000000000000000000000000000000000002",
};

/** A string, or a tuple or array written as a JSON array of parameters. */
export type StepParameter = string | StepParameter[];

/** One call the user's IntermediaryAccount makes. */
export interface Step {
  to: Address;
  /** Canonical Solidity form, e.g. `deposit(uint256,address)`. */
  functionSignature: string;
  parameters: StepParameter[];
  /** Native coin sent with the call, in wei. */
  value: bigint;
  metadata?: Record<string, unknown> & { name?: string; description?: string };
}

/** A step in its wire shape. */
export type StepJson = Omit<Step, "value"> & { value: string };

/** What `IntermediaryAccount.execute` takes for one step. */
export interface StepCall {
  to: Address;
  value: bigint;
  data: Hex;
}

const STEP_KEYS: ReadonlySet<string> = new Set([
  "to",
  "functionSignature",
  "parameters",
  "value",
  "metadata",
]);

/**
 * Validates the `steps` of a request and proves each one ABI-encodes, filling its placeholders
 * with sample values. `allowed` is the set of placeholders the execution kind can fill; `field`
 * is where the steps sit in the request, for messages.
 */
export function parseSteps(raw: unknown, allowed: ReadonlySet<Placeholder>, field = "steps"): Step[] {
  if (!Array.isArray(raw)) throw invalid(`${field}: must be an array of step objects`);
  if (raw.length > STEP_LIMITS.maxSteps) {
    throw invalid(`${field}: at most ${STEP_LIMITS.maxSteps} steps, got ${raw.length}; combine or drop some`);
  }
  return raw.map((item, index) => parseStep(item, allowed, `${field}[${index}]`));
}

/** ABI-encodes a step with its placeholders replaced by `values`. */
export function encodeStep(
  step: Step,
  values: Partial<Record<Placeholder, string>>,
  field = "step",
): StepCall {
  return encodeCall(step, (placeholder, path) => placeholderValue(values, placeholder, path), field);
}

/** The step as it will run, placeholders replaced by `values`: what the user is shown and signs. */
export function substituteStep(
  step: Step,
  values: Partial<Record<Placeholder, string>>,
  field = "step",
): Step {
  const substitute = (parameter: StepParameter, path: string): StepParameter => {
    if (Array.isArray(parameter)) {
      return parameter.map((item, index) => substitute(item, `${path}[${index}]`));
    }
    return isPlaceholder(parameter) ? placeholderValue(values, parameter, path) : parameter;
  };
  return {
    ...step,
    parameters: step.parameters.map((parameter, index) =>
      substitute(parameter, `${field}.parameters[${index}]`),
    ),
  };
}

/** The step in its wire shape, for responses and signing payloads. */
export function stepJson(step: Step): StepJson {
  const { to, functionSignature, parameters, value, metadata } = step;
  return { to, functionSignature, parameters, value: value.toString(), ...(metadata ? { metadata } : {}) };
}

function parseStep(raw: unknown, allowed: ReadonlySet<Placeholder>, field: string): Step {
  if (!isObject(raw)) {
    throw invalid(`${field}: must be an object with to, functionSignature, parameters and value`);
  }
  checkKeys(raw, field);
  const { metadata, ...call } = raw;
  // Metadata is the client's own annotation and is never encoded, so only the call is bounded.
  if (deeperThan(call, STEP_LIMITS.maxStepDepth)) {
    throw invalid(
      `${field}: nests deeper than ${STEP_LIMITS.maxStepDepth} levels (metadata not counted); flatten it`,
    );
  }
  const step: Step = {
    to: toAddress(required(raw, "to", field), `${field}.to`),
    functionSignature: toSignatureText(
      required(raw, "functionSignature", field),
      `${field}.functionSignature`,
    ),
    parameters: toParameterList(required(raw, "parameters", field), `${field}.parameters`),
    value: toWei(required(raw, "value", field), `${field}.value`),
    ...(metadata === undefined ? {} : { metadata: toMetadata(metadata, `${field}.metadata`) }),
  };
  encodeCall(step, (placeholder, path) => sampleValue(allowed, placeholder, path), field);
  return step;
}

function checkKeys(step: Record<string, unknown>, field: string): void {
  for (const key of Object.keys(step)) {
    if (STEP_KEYS.has(key)) continue;
    const meant = [...STEP_KEYS].find((known) => known.toLowerCase() === key.toLowerCase());
    throw invalid(
      meant
        ? `${field}: unknown key ${JSON.stringify(key)}; keys are case-sensitive, write "${meant}"`
        : `${field}: unknown key ${JSON.stringify(key)}; a step accepts only ${[...STEP_KEYS].join(", ")}`,
    );
  }
}

function required(step: Record<string, unknown>, key: string, field: string): unknown {
  if (step[key] === undefined) {
    throw invalid(`${field}.${key}: missing; every step needs to, functionSignature, parameters and value`);
  }
  return step[key];
}

function toSignatureText(raw: unknown, path: string): string {
  if (typeof raw !== "string") throw invalid(`${path}: must be a string such as "deposit(uint256,address)"`);
  return raw;
}

/** Only the list itself: its items are checked against the ABI types when the step is encoded. */
function toParameterList(raw: unknown, path: string): StepParameter[] {
  if (!Array.isArray(raw)) throw invalid(`${path}: must be an array with one entry per function parameter`);
  return raw;
}

function toMetadata(raw: unknown, path: string): NonNullable<Step["metadata"]> {
  if (!isObject(raw)) throw invalid(`${path}: must be an object such as {"name": "Deposit"}`);
  for (const key of ["name", "description"]) {
    if (raw[key] !== undefined && typeof raw[key] !== "string") {
      throw invalid(`${path}.${key}: must be a string`);
    }
  }
  return { ...raw };
}

/** Native value: decimal only (no hex), unlike uint parameters, as the contract document says. */
function toWei(raw: unknown, path: string): bigint {
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) {
    throw invalid(`${path}: must be a decimal string of wei, e.g. "0" or "1000000000000000000"`);
  }
  return toInteger(raw, "uint256", path);
}

/** Validates a signature as Solidity computes selectors from it and returns its ABI item. */
function parseFunctionSignature(signature: string, path: string): AbiFunction {
  const bytes = new TextEncoder().encode(signature).length;
  if (bytes > STEP_LIMITS.maxFunctionSignatureBytes) {
    throw invalid(`${path}: ${bytes} bytes, at most ${STEP_LIMITS.maxFunctionSignatureBytes}`);
  }
  let item: AbiFunction;
  try {
    item = parseAbiItem(`function ${signature}`) as AbiFunction;
  } catch (error) {
    throw invalid(
      `${path}: not a Solidity function signature (${shortMessage(error)}); ` +
        'write it like "supply(address,uint256,address,uint16)"',
    );
  }
  // The selector hashes the exact text, so `uint`, spaces or parameter names would call another function.
  const canonical = toFunctionSignature(item);
  if (canonical !== signature) {
    throw invalid(
      `${path}: not in canonical form; write ${JSON.stringify(canonical)} ` +
        "(full type names such as uint256, no spaces, no parameter names or modifiers)",
    );
  }
  if (signature.includes("[0")) {
    throw invalid(`${path}: fixed array sizes must be positive and written without leading zeros`);
  }
  const nesting = Math.max(0, ...item.inputs.map(typeNesting));
  if (nesting > STEP_LIMITS.maxTypeNesting) {
    throw invalid(
      `${path}: types nest ${nesting} levels deep, at most ${STEP_LIMITS.maxTypeNesting} ` +
        "(each tuple and each array dimension is a level)",
    );
  }
  return item;
}

/** See STEP_LIMITS: one level per array dimension and per tuple. */
function typeNesting(parameter: AbiParameter): number {
  const dimensions = parameter.type.match(/\[\d*\]/g)?.length ?? 0;
  if (!("components" in parameter)) return dimensions;
  return dimensions + 1 + Math.max(0, ...parameter.components.map(typeNesting));
}

/** Fills a placeholder met at `path`, or refuses it. */
type Resolve = (placeholder: Placeholder, path: string) => string;

function encodeCall(step: Step, resolve: Resolve, field: string): StepCall {
  const item = parseFunctionSignature(step.functionSignature, `${field}.functionSignature`);
  if (step.parameters.length !== item.inputs.length) {
    throw invalid(
      `${field}.parameters: ${step.functionSignature} takes ${item.inputs.length} parameters, ` +
        `got ${step.parameters.length}; give one entry per parameter, in order`,
    );
  }
  const args = item.inputs.map((input, index) =>
    toAbiValue(input, step.parameters[index], `${field}.parameters[${index}]`, resolve),
  );
  return { to: step.to, value: step.value, data: encodeFunctionData({ abi: [item], args }) };
}

/** An ABI parameter's type, with its components when it is a tuple or an array of tuples. */
interface Slot {
  type: string;
  components?: readonly AbiParameter[];
}

/** Turns a step parameter into the value viem encodes for `slot`, or says what is wrong with it. */
function toAbiValue(slot: Slot, raw: unknown, path: string, resolve: Resolve): unknown {
  const array = /^(.*)\[(\d*)\]$/.exec(slot.type);
  if (array) return toArray({ ...slot, type: array[1] ?? "" }, array[2] ?? "", raw, path, resolve);
  if (slot.type === "tuple") return toTuple(slot.components ?? [], raw, path, resolve);
  if (typeof raw !== "string") {
    throw invalid(`${path}: must be a string holding a ${slot.type}; write numbers as strings, e.g. "1000"`);
  }
  return toScalar(slot.type, isPlaceholder(raw) ? fill(raw, slot.type, path, resolve) : raw, path);
}

function toArray(element: Slot, size: string, raw: unknown, path: string, resolve: Resolve): unknown[] {
  if (!Array.isArray(raw))
    throw invalid(`${path}: must be a JSON array (arrays and tuples nest as JSON arrays)`);
  if (size !== "" && raw.length !== Number(size)) {
    throw invalid(`${path}: must have exactly ${size} items, got ${raw.length}`);
  }
  return raw.map((item, index) => toAbiValue(element, item, `${path}[${index}]`, resolve));
}

function toTuple(components: readonly Slot[], raw: unknown, path: string, resolve: Resolve): unknown[] {
  if (!Array.isArray(raw) || raw.length !== components.length) {
    throw invalid(`${path}: must be a JSON array of the tuple's ${components.length} components, in order`);
  }
  return components.map((component, index) =>
    toAbiValue(component, raw[index], `${path}[${index}]`, resolve),
  );
}

/** The value a placeholder stands for, once its slot is known to fit it. */
function fill(placeholder: Placeholder, type: string, path: string, resolve: Resolve): string {
  const fits = PLACEHOLDER_SLOTS[placeholder] === "address" ? type === "address" : /^uint\d+$/.test(type);
  if (!fits) {
    const belongs =
      PLACEHOLDER_SLOTS[placeholder] === "address" ? "an address" : "an unsigned integer (uintN)";
    throw invalid(`${path}: ${placeholder} can only fill ${belongs} parameter, and this one is ${type}`);
  }
  return resolve(placeholder, path);
}

function toScalar(type: string, text: string, path: string): unknown {
  if (/^u?int\d+$/.test(type)) return toInteger(text, type, path);
  if (/^bytes\d+$/.test(type)) return toBytes(text, Number(type.slice(5)), path);
  switch (type) {
    case "address":
      return toAddress(text, path);
    case "bool":
      if (text !== "true" && text !== "false") throw invalid(`${path}: must be "true" or "false"`);
      return text === "true";
    case "bytes":
      return toBytes(text, undefined, path);
    case "string":
      return text;
  }
  throw invalid(`${path}: parameters of type ${type} are not supported`);
}

/** uintN/intN from a decimal string (negative for intN) or 0x-hex, read as a non-negative number. */
function toInteger(text: string, type: string, path: string): bigint {
  const signed = type.startsWith("int");
  if (!(signed ? /^(-?\d+|0x[0-9a-fA-F]+)$/ : /^(\d+|0x[0-9a-fA-F]+)$/).test(text)) {
    throw invalid(`${path}: must be a ${type} as a decimal string such as "1000" (or 0x-hex)`);
  }
  const bits = BigInt(type.slice(signed ? 3 : 4));
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const value = BigInt(text);
  if (value < min || value > max) throw invalid(`${path}: out of range for ${type} (${min} to ${max})`);
  return value;
}

/** An address, checksummed or all lowercase (a wrong checksum is a typo), in checksum form. */
function toAddress(raw: unknown, path: string): Address {
  if (typeof raw !== "string" || !isAddress(raw, { strict: true })) {
    throw invalid(`${path}: must be an address, 0x and 40 hex digits, EIP-55 checksummed or all lowercase`);
  }
  return getAddress(raw);
}

/** `bytes` (any length) or `bytesN` (exactly `size` bytes) from 0x-hex. */
function toBytes(text: string, size: number | undefined, path: string): Hex {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(text)) {
    throw invalid(`${path}: must be 0x-prefixed hex with an even number of digits`);
  }
  const length = (text.length - 2) / 2;
  if (size !== undefined && length !== size) {
    throw invalid(
      `${path}: bytes${size} needs exactly ${size} bytes (${size * 2} hex digits), got ${length}`,
    );
  }
  return text as Hex;
}

function sampleValue(allowed: ReadonlySet<Placeholder>, placeholder: Placeholder, path: string): string {
  if (!allowed.has(placeholder)) {
    const list = [...allowed].join(", ") || "none";
    throw invalid(`${path}: ${placeholder} is not available for this kind of intent (available: ${list})`);
  }
  return SAMPLE_VALUES[placeholder];
}

function placeholderValue(
  values: Partial<Record<Placeholder, string>>,
  placeholder: Placeholder,
  path: string,
): string {
  const value = values[placeholder];
  if (value === undefined) throw invalid(`${path}: no value for ${placeholder} yet`);
  return value;
}

function isPlaceholder(text: string): text is Placeholder {
  return Object.hasOwn(PLACEHOLDER_SLOTS, text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `value` nests more than `levels` objects/arrays deep; stops descending once it does. */
function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (levels === 0) return true;
  return Object.values(value).some((member) => deeperThan(member, levels - 1));
}

function shortMessage(error: unknown): string {
  return (error as { shortMessage?: string }).shortMessage ?? String(error);
}

const invalid = (message: string) => new JunctionError("invalid_argument", message);

/**
 * The steps of a bridge-in into an ERC-4626 vault (the devnet's DemoVault): approve the vault for
 * what the swap delivers, then deposit it for `receiver`. As a client sends them (JSON).
 */
export function vaultDepositSteps(token: string, vault: string, receiver: string) {
  return [
    {
      to: token,
      functionSignature: "approve(address,uint256)",
      parameters: [vault, "{MIN_AMOUNT_OUT}"],
      value: "0",
      metadata: { name: "Approve the vault" },
    },
    {
      to: vault,
      functionSignature: "deposit(uint256,address)",
      parameters: ["{MIN_AMOUNT_OUT}", receiver],
      value: "0",
      metadata: { name: "Deposit into the vault" },
    },
  ];
}
