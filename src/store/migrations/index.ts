import type { Migration } from "kysely";
import * as m001 from "./001_meta.ts";
import * as m002 from "./002_intents.ts";
import * as m003 from "./003_executions.ts";
import * as m004 from "./004_engine.ts";
import * as m005 from "./005_chain_truth.ts";
import * as m006 from "./006_unused_quotes.ts";
import * as m007 from "./007_deposit_announcements.ts";
import * as m008 from "./008_webhooks.ts";
import * as m009 from "./009_activity.ts";
import * as m010 from "./010_batches.ts";

/** Every migration, in order. Names sort lexically; never rename or reorder one that has shipped. */
export const migrations: Record<string, Migration> = {
  "001_meta": m001,
  "002_intents": m002,
  "003_executions": m003,
  "004_engine": m004,
  "005_chain_truth": m005,
  "006_unused_quotes": m006,
  "007_deposit_announcements": m007,
  "008_webhooks": m008,
  "009_activity": m009,
  "010_batches": m010,
};
