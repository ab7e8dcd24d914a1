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
};
