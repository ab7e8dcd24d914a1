CREATE TABLE `mcp_activity` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`user_id` text,
	`client_id` text,
	`server` text NOT NULL,
	`endpoint` text NOT NULL,
	`session_id` text,
	`method` text NOT NULL,
	`target` text,
	`outcome` text NOT NULL,
	`http_status` integer NOT NULL,
	`rpc_error_code` integer,
	`latency_ms` integer NOT NULL,
	`request_bytes` integer NOT NULL,
	`response_bytes` integer,
	`ip` text
);
--> statement-breakpoint
CREATE INDEX `mcp_activity_at` ON `mcp_activity` (`at`);--> statement-breakpoint
CREATE INDEX `mcp_activity_user_at` ON `mcp_activity` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `mcp_activity_server_at` ON `mcp_activity` (`server`,`at`);--> statement-breakpoint
CREATE INDEX `mcp_activity_not_ok_at` ON `mcp_activity` (`outcome`,`at`) WHERE outcome <> 'ok';--> statement-breakpoint
CREATE TABLE `network_allow_lists` (
	`subject_kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`networks` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`subject_kind`, `subject_id`)
);
--> statement-breakpoint
CREATE TABLE `personal_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`servers` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `personal_tokens_token_hash_unique` ON `personal_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `personal_tokens_user` ON `personal_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `server_pinning` (
	`server_id` text PRIMARY KEY NOT NULL,
	`mode` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tool_pin_changes` (
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`hash` text NOT NULL,
	`definition` text NOT NULL,
	`findings` text DEFAULT '[]' NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`server_id`, `kind`, `name`)
);
--> statement-breakpoint
CREATE TABLE `tool_pins` (
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`hash` text NOT NULL,
	`definition` text NOT NULL,
	`approved_at` integer NOT NULL,
	`approved_by` text,
	PRIMARY KEY(`server_id`, `kind`, `name`)
);
--> statement-breakpoint
CREATE TABLE `security_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`user_id` text,
	`client_id` text,
	`ip` text,
	`user_agent` text,
	`details` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `security_events_at` ON `security_events` (`at`);--> statement-breakpoint
CREATE INDEX `security_events_type_at` ON `security_events` (`type`,`at`);--> statement-breakpoint
CREATE INDEX `security_events_user_at` ON `security_events` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `security_events_ip_at` ON `security_events` (`ip`,`at`);--> statement-breakpoint
CREATE TABLE `identity_providers` (
	`slug` text PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`secret_sealed` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `server_identity_providers` (
	`server_id` text PRIMARY KEY NOT NULL,
	`providers` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `upstream_identities` (
	`provider` text NOT NULL,
	`subject` text NOT NULL,
	`user_id` text NOT NULL,
	`email` text,
	`groups` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`last_login_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `subject`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `upstream_identities_user` ON `upstream_identities` (`user_id`);--> statement-breakpoint
CREATE TABLE `upstream_tokens` (
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`sealed` text NOT NULL,
	`expires_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `provider`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
