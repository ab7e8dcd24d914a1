ALTER TABLE `mcp_servers` ADD `stdio_command` text;--> statement-breakpoint
ALTER TABLE `mcp_servers` ADD `stdio_env_sealed` text;