import { int } from "./kinds.ts";

/** The admin's browser pages (src/admin/pages). */
export const adminPageSettings = {
  adminLiveActivityRows: int(
    "ADMIN_LIVE_ACTIVITY_ROWS",
    200,
    10,
    10000,
    "Most rows the live MCP activity page (/admin/activity) keeps on screen, and most new rows it holds while paused; older ones leave the live list (the stored history below keeps them).",
  ),
  adminApiTestTimeoutMs: int(
    "ADMIN_API_TEST_TIMEOUT_MS",
    30000,
    1000,
    600000,
    "Longest a call from the admin's API test page (/admin/api-test) may take, from initialize to the tool's answer; the page then shows that it timed out. The access token minted for the call lives this long (rounded up to seconds) plus one second.",
  ),
  adminApiTestMaxAnswerBytes: int(
    "ADMIN_API_TEST_MAX_ANSWER_BYTES",
    1048576,
    1024,
    67108864,
    "Most bytes of one answer the API test page (/admin/api-test) reads and shows; a longer answer is cut there and marked as cut.",
  ),
  adminApiTestMaxFields: int(
    "ADMIN_API_TEST_MAX_FIELDS",
    50,
    1,
    1000,
    "Most form fields the API test page (/admin/api-test) generates from a tool's input schema; a tool with more arguments is called with one JSON text area for all of them.",
  ),
};
