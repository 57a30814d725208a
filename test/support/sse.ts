/** One Server-Sent Event as received. */
export interface SseEvent {
  id: string;
  event: string;
  /** When this process parsed it (Date.now()). */
  receivedAt: number;
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the server sent
  data: any;
}

export interface SseStream {
  status: number;
  /** The body of a refused request (not a stream). */
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the server sent
  error: any;
  events: SseEvent[];
  comments: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Waits until `predicate` holds for the events so far. */
  until(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/** Parses `text/event-stream` as the EventSource specification says (id, event, data, comments). */
function parseBlock(block: string, stream: SseStream): void {
  let id = "";
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) stream.comments.push(line.slice(1).trim());
    else if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  if (data.length > 0)
    stream.events.push({ id, event, receivedAt: Date.now(), data: JSON.parse(data.join("\n")) });
}

/** Opens GET `url` as an event stream (a plain fetch, as a non-browser client would). */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: abort.signal,
  });
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  let endedResolve: () => void = () => {};
  const stream: SseStream = {
    status: response.status,
    error: null,
    events: [],
    comments: [],
    ended: new Promise((resolve) => {
      endedResolve = resolve;
    }),
    until(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(stream.events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(stream.events);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stream: condition not met; got ${stream.events.map((e) => e.event).join(", ")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    stream.error = await response.json();
    endedResolve();
    return stream;
  }
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          parseBlock(buffer.slice(0, end), stream);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
        notify();
      }
    } catch {
      // Closed by the test.
    }
    endedResolve();
    notify();
  })();
  return stream;
}
