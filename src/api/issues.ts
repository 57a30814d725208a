import type { z } from "zod";

/** `field.path: problem; …`, so the client sees which field to fix (both dialects word it so). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : "request"}: ${i.message}`)
    .join("; ");
}
