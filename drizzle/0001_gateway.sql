CREATE TABLE `mcp_server_users` (
	`server_id` text NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`server_id`, `user_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `mcp_server_users_user` ON `mcp_server_users` (`user_id`);--> statement-breakpoint
CREATE TABLE `mcp_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`url` text NOT NULL,
	`transport` text DEFAULT 'streamable-http' NOT NULL,
	`auth_required` integer DEFAULT true NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`timeout_ms` integer NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`open_to_all` integer DEFAULT false NOT NULL,
	`user_context` text DEFAULT 'none' NOT NULL,
	`credential_kind` text DEFAULT 'none' NOT NULL,
	`credential_sealed` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_servers_name` ON `mcp_servers` (`name`);