/**
 * A bare Fastify route in a process of its own, for `bench:quote`'s baseline: it takes the same
 * JSON body as QuoteIntent on the same path and answers a small JSON object, so the difference to
 * Junction's answer is Junction's own work. Prints its port once it listens.
 */
import Fastify from "fastify";

const app = Fastify();
app.post("/rpc/Trails/QuoteIntent", async (request) => ({
  received: Object.keys(request.body as object).length,
}));
const address = await app.listen({ port: 0, host: "127.0.0.1" });
console.log(new URL(address).port);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
