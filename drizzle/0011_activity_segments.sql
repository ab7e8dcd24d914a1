CREATE TABLE `mcp_activity_segment_data` (
	`segment_id` integer PRIMARY KEY NOT NULL,
	`strings` text NOT NULL,
	`data` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mcp_activity_segments` (
	`id` integer PRIMARY KEY NOT NULL,
	`first_id` integer NOT NULL,
	`last_id` integer NOT NULL,
	`rows` integer NOT NULL,
	`min_at` integer NOT NULL,
	`max_at` integer NOT NULL,
	`errors` integer NOT NULL,
	`denied` integer NOT NULL,
	`rate_limited` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `mcp_activity_segments_max_at` ON `mcp_activity_segments` (`max_at`);
-- `mcp_activity` and `mcp_activity_blocks` stay until their rows are packed into segments, which
-- SQL cannot do: convertRowActivity (src/audit/activity/row-table.ts) does it and drops them.
