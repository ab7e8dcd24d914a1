// Shared setup for `bun test`: nothing global beyond making failures loud.
process.env.TZ = "UTC";
