import { useEffect, useState } from "react";
import { eventTypes } from "../../src/core/events.ts";
import type { PushEvent } from "./api.ts";

/**
 * The push stream of one subject (`intentId=…` or `executionId=…`): its whole history first, then
 * each event as it commits. EventSource reconnects by itself and resumes after the last id, so a
 * dropped connection loses nothing.
 */
export function useEvents(query: string): PushEvent[] {
  const [events, setEvents] = useState<PushEvent[]>([]);
  useEffect(() => {
    setEvents([]);
    const source = new EventSource(`/events?${query}`);
    const onEvent = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as PushEvent;
      setEvents((seen) => (seen.some((e) => e.sequence === event.sequence) ? seen : [...seen, event]));
    };
    // Each event is sent under its type's name, so each name needs its listener.
    for (const type of eventTypes) source.addEventListener(type, onEvent);
    return () => source.close();
  }, [query]);
  return events;
}
