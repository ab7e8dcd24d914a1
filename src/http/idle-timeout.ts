/**
 * Bun closes a connection idle this long (seconds; 255 is Bun's maximum). Elysia's default of 30 s
 * would cut quiet streams; long-lived SSE handlers still send heartbeats or disable it per request.
 */
export const IDLE_TIMEOUT_SECONDS = 255;
