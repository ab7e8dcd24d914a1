CREATE TABLE `oauth_consent_redirects` (
	`user_id` text NOT NULL,
	`client_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `client_id`, `redirect_uri`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `revoked_token_cutoffs` (
	`client_id` text NOT NULL,
	`user_id` text NOT NULL,
	`revoked_before` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`client_id`, `user_id`)
);
--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `family_expires_at` integer;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `successor_sealed` text;