/**
 * JSON text that keeps bigints exact: each bigint is written as `{"$bigint":"123"}` and read back
 * as a bigint, so a stored plan comes back with the very amounts it was priced with.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
}

/** Revives what `toJsonText` wrote, from text or from an already parsed value (jsonb). */
export function fromJson<T>(value: unknown): T {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === "object") {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 1 && keys[0] === "$bigint" && typeof record.$bigint === "string") {
        return BigInt(record.$bigint);
      }
      return Object.fromEntries(keys.map((k) => [k, revive(record[k])]));
    }
    return v;
  };
  return revive(typeof value === "string" ? JSON.parse(value) : value) as T;
}
