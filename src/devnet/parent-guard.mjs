// Runs a command and ends it when the process that started this guard goes away, however it
// went (a SIGKILL included): that parent holds the write end of our stdin, and the kernel closes
// it when the parent dies. Node has no parent-death signal, and an anvil left behind would keep
// mining, writing its state file and holding its port.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
let ending = false;
/** SIGTERM (anvil dumps its state on it), then SIGKILL if it has not exited 10 s later. */
const end = () => {
  if (ending) return;
  ending = true;
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
};

process.stdin.on("end", end).on("error", end).resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, end);
child.on("error", (err) => {
  console.error(err.message);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGTERM" ? 0 : 1)));
