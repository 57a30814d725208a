import { inspect } from "node:util";

/**
 * Wraps a secret so that logging, JSON-encoding or inspecting it never prints the value;
 * only `reveal()` does, at the one place that signs with it.
 */
export class Secret<T extends string = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return "[redacted]";
  }
  toString(): string {
    return "[redacted]";
  }
  [inspect.custom](): string {
    return "Secret([redacted])";
  }
}
