import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defineChain } from "viem";
import { describe, expect, it } from "vitest";
import { publicClientFor } from "./clients.ts";

const chainAt = (url: string) =>
  defineChain({
    id: 900_009,
    name: "test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });

describe("a public client's failure reports", () => {
  it("reports a node that does not answer, once per failed request", async () => {
    const errors: Error[] = [];
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const client = publicClientFor(chainAt(`http://127.0.0.1:${port}`), (err) => errors.push(err));
    await expect(client.getBlockNumber()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });

  it("does not report a JSON-RPC error answer (a call that reverts is an answer)", async () => {
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const { id } = JSON.parse(body) as { id: number };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: 3, message: "execution reverted" } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const errors: Error[] = [];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = publicClientFor(chainAt(url), (err) => errors.push(err));
      await expect(
        client.call({ to: "0x0000000000000000000000000000000000000001", data: "0x" }),
      ).rejects.toThrow();
      expect(errors).toEqual([]);
    } finally {
      server.close();
    }
  });
});
