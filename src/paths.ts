import { fileURLToPath } from "node:url";

/** The repository root, whichever file asks. */
export const projectRoot = fileURLToPath(new URL("..", import.meta.url));
