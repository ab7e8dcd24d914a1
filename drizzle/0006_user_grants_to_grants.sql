-- Grants of the per-user table become user grants of every tool (hand-written: drizzle-kit only drops).
INSERT INTO `mcp_server_grants` (`id`, `server_id`, `principal_type`, `principal_id`, `allowed_tools`, `denied_tools`, `created_at`, `updated_at`)
SELECT 'grant_' || lower(hex(randomblob(16))), `server_id`, 'user', `user_id`, NULL, '[]', `created_at`, `created_at` FROM `mcp_server_users`;--> statement-breakpoint
DROP TABLE `mcp_server_users`;
