import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** A delivery the receiver verified. */
export interface Delivery {
  /** The webhook-id header. */
  id: string;
  type: string;
  sequence: string;
  data: Record<string, unknown>;
}

/** A local webhook endpoint that checks every delivery with the standardwebhooks package and can be made to fail. */
export interface Receiver {
  url: string;
  server: Server;
  /** Verified deliveries it acknowledged, in arrival order. */
  got: Delivery[];
  /** Requests received, acknowledged or not. */
  attempts: number;
  /** Deliveries whose signature did not verify. */
  forged: number;
  /** While true it answers 500. */
  failing: boolean;
  /** While true it never answers (the request hangs until Junction gives up on it). */
  hanging: boolean;
  /** Milliseconds it takes before each answer. */
  delayMs: number;
  /** The endpoint's secret, set once Junction has made it. */
  secret: string;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const server = createServer();
  const r: Receiver = {
    url: "",
    server,
    got: [],
    attempts: 0,
    forged: 0,
    failing: false,
    hanging: false,
    delayMs: 0,
    secret: "",
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A request it left hanging would otherwise hold the close.
        server.closeAllConnections();
      }),
  };
  server.on("request", (req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      r.attempts += 1;
      if (r.hanging) return;
      if (r.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
      let payload: { type: string; data: { sequence: string } & Record<string, unknown> };
      try {
        // The package's own verification: signature, timestamp tolerance, id.
        payload = new Webhook(r.secret).verify(body, req.headers as Record<string, string>) as typeof payload;
      } catch {
        r.forged += 1;
        res.writeHead(400).end("bad signature");
        return;
      }
      if (r.failing) {
        res.writeHead(500).end("down for maintenance");
        return;
      }
      r.got.push({
        id: req.headers["webhook-id"] as string,
        type: payload.type,
        sequence: payload.data.sequence,
        data: payload.data,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}
