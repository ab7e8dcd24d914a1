CREATE TABLE `rate_limit_overrides` (
	`subject_kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`max` integer NOT NULL,
	`window_seconds` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`subject_kind`, `subject_id`)
);
