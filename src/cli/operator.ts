import { parseArgs } from "node:util";
import type { ReconcileReport } from "../core/reconcile.ts";
import { loadCliConfig } from "./start.ts";

/** Exit codes of the operator commands. */
export const exitCodes = { ok: 0, discrepancies: 1, usage: 2, unreachable: 3 } as const;

const common = {
  url: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

export const operatorUsage = `Operator commands talk to a running Junction's /admin endpoints, with the admin key
(adminKey in the configuration, or JUNCTION_ADMIN_KEY).

  junction reconcile [--finished] [--url URL] [--json]
      the ledger check: the database against the chains (paid once, statuses, deposit addresses
      empty, transactions on chain, inventory). --finished also requires every intent and
      execution to have finished. Prints a table and every discrepancy.
  junction parked [--url URL] [--json]
      rows parked for an operator, with their last error
  junction retry <intents|executions> <id> | junction retry --all [--url URL]
      makes parked rows due again

  --url   the running Junction (default: the configured server address)
  --json  print the answer as JSON

Exit codes: 0 ok; 1 discrepancies found (reconcile) or nothing to retry; 2 bad usage or
configuration; 3 Junction not reachable, the admin key refused, or (reconcile) a chain not reachable.`;

interface Answer {
  status: number;
  body: unknown;
}

/** A call to the running Junction's /admin API; exits 3 if it cannot be reached or refuses the key. */
async function admin(url: string | undefined, method: string, path: string): Promise<Answer> {
  const config = loadCliConfig();
  const base = url ?? `http://${config.server.host}:${config.server.port}`;
  let res: Response;
  try {
    res = await fetch(`${base}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${config.adminKey ?? ""}` },
    });
  } catch (err) {
    console.error(`Junction is not reachable at ${base}: ${(err as Error).message}; start it, or pass --url`);
    process.exit(exitCodes.unreachable);
  }
  const body = (await res.json()) as unknown;
  if (res.status === 401) {
    console.error(`${base} refused the admin key: ${(body as { error: string }).error}`);
    process.exit(exitCodes.unreachable);
  }
  return { status: res.status, body };
}

export async function reconcileCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, finished: { type: "boolean" } } });
  if (values.help) return help();
  const { status, body } = await admin(
    values.url,
    "GET",
    `/reconcile${values.finished ? "?finished=true" : ""}`,
  );
  if (status === 503) {
    console.error((body as { error: string }).error);
    return exitCodes.unreachable;
  }
  const report = body as ReconcileReport;
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      table(
        ["check", "checked", "discrepancies"],
        report.rows.map((r) => [r.check, r.checked, r.discrepancies]),
      ),
    );
    for (const d of report.discrepancies) console.log(`\n${d.check}: ${d.subject}\n  ${d.message}`);
  }
  return report.discrepancies.length === 0 ? exitCodes.ok : exitCodes.discrepancies;
}

export async function parkedCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: common });
  if (values.help) return help();
  const { body } = await admin(values.url, "GET", "/parked");
  const { parked } = body as {
    parked: { kind: string; id: string; status: string; attempts: number; lastError: string }[];
  };
  if (values.json) console.log(JSON.stringify(parked, null, 2));
  else
    console.log(
      table(
        ["kind", "id", "status", "attempts", "last error"],
        parked.map((p) => [p.kind, p.id, p.status, p.attempts, p.lastError]),
      ),
    );
  return exitCodes.ok;
}

export async function retryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...common, all: { type: "boolean" } },
    allowPositionals: true,
  });
  if (values.help) return help();
  const [kind, id] = positionals;
  if (!values.all && (!kind || !id)) {
    console.error("junction retry: name what to retry (<intents|executions> <id>), or pass --all");
    return exitCodes.usage;
  }
  const { status, body } = await admin(
    values.url,
    "POST",
    values.all ? "/parked/retry" : `/${kind}/${id}/retry`,
  );
  console.log(JSON.stringify(body, null, 2));
  return status === 200 ? exitCodes.ok : exitCodes.discrepancies;
}

function help(): number {
  console.log(operatorUsage);
  return exitCodes.ok;
}

/** A plain text table, columns padded to their widest cell. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
