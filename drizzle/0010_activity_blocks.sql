CREATE TABLE `mcp_activity_blocks` (
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`first_id` integer NOT NULL,
	`last_id` integer NOT NULL,
	PRIMARY KEY(`kind`, `key`, `first_id`)
);
--> statement-breakpoint
-- Rows written before the block index: one block per user and per server spanning all of theirs
-- (read through the indexes dropped below, while they still exist: no sort of the whole table).
INSERT INTO `mcp_activity_blocks` (`kind`, `key`, `first_id`, `last_id`)
  SELECT 'user', `user_id`, min(`id`), max(`id`) FROM `mcp_activity` WHERE `user_id` IS NOT NULL GROUP BY `user_id`;--> statement-breakpoint
INSERT INTO `mcp_activity_blocks` (`kind`, `key`, `first_id`, `last_id`)
  SELECT 'server', `server`, min(`id`), max(`id`) FROM `mcp_activity` GROUP BY `server`;--> statement-breakpoint
DROP INDEX `mcp_activity_user_at`;--> statement-breakpoint
DROP INDEX `mcp_activity_server_at`;
