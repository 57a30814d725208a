import { Link } from "wouter";

export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. Search for an intent, an execution, an address or a transaction from
        the <Link href="/">explorer</Link>.
      </p>
    </section>
  );
}
