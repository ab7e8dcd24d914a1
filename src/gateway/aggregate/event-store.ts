import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

interface StoredEvent {
  id: string;
  streamId: string;
  seq: number;
  message: JSONRPCMessage;
}

/**
 * The SSE events of one client session, the newest `max` of them, so that a client resuming a
 * stream with `Last-Event-ID` gets what it missed (the SDK transport stores and replays through
 * it). Event ids are `{streamId}_{n}` with `n` counting up in the session: unique in the session,
 * and the stream is known from the id even after its event left the buffer.
 */
export class BoundedEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private seq = 0;

  constructor(private readonly max: number) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    this.seq++;
    const id = `${streamId}_${this.seq}`;
    this.events.push({ id, streamId, seq: this.seq, message });
    if (this.events.length > this.max) this.events.shift();
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return parse(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const last = parse(lastEventId);
    if (!last) throw new Error("unknown event id");
    for (const event of this.events.filter((e) => e.streamId === last.streamId && e.seq > last.seq)) {
      await send(event.id, event.message);
    }
    return last.streamId;
  }
}

function parse(eventId: string): { streamId: string; seq: number } | undefined {
  const at = eventId.lastIndexOf("_");
  if (at <= 0) return undefined;
  const seq = Number(eventId.slice(at + 1));
  return Number.isSafeInteger(seq) && seq > 0 ? { streamId: eventId.slice(0, at), seq } : undefined;
}
