import { z } from "zod";
import { createContext } from "../context.ts";
import { USERNAME_PATTERN } from "../identity/user-service.ts";
import { createLogger } from "../logger.ts";
import { SetupCode } from "../web/setup-code.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { CliIo, Command } from "./command.ts";
import { CONFIG_EXIT, CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFromFlags } from "./config-flags.ts";

const emailSchema = z.email().max(254);

/** The password piped on stdin, without its trailing newline. */
export function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, "");
}

async function ask(io: CliIo, question: string, hidden = false): Promise<string> {
  const answer = await io.prompt(question, { hidden });
  if (answer === null) throw new UsageError("input closed");
  return answer.trim() === "" && !hidden ? ask(io, question, hidden) : answer;
}

export const createAdminCommand: Command = {
  name: "create-admin",
  summary: "create an administrator account",
  usage: `Usage: authmcp-gateway create-admin [--username U] [--email E] [--password-stdin] [--env-file FILE] [--config FILE]

Creates an active administrator in the configured database (applying migrations first). On a
terminal it asks for whatever is missing (the password without echo, twice). Without a terminal
all of --username, --email and --password-stdin are required:

  printf '%s\\n' "$PASSWORD" | authmcp-gateway create-admin --username admin --email admin@example.com --password-stdin

Exit status: 0 created, 1 refused (weak password, name or email taken), 2 usage or configuration error.

Options:
  --username U      login name (3 to 64 of letters, digits, ".", "_", "-"; starts with a letter or digit)
  --email E         email address
  --password-stdin  read the password from standard input (one trailing newline is removed)
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      values: ["username", "email", ...CONFIG_FLAGS],
      switches: ["password-stdin"],
    });
    if (flags.help) {
      io.stdout(this.usage);
      return 0;
    }
    let username = flags.values.get("username");
    let email = flags.values.get("email");
    const passwordOnStdin = flags.switches.has("password-stdin");
    const missing = [
      username === undefined ? "--username" : "",
      email === undefined ? "--email" : "",
      passwordOnStdin ? "" : "--password-stdin",
    ].filter(Boolean);
    if (missing.length > 0 && (!io.stdin.isTTY || passwordOnStdin)) {
      throw new UsageError(
        `missing ${missing.join(", ")}: there is no terminal to ask on${passwordOnStdin ? " (stdin carries the password)" : ""}`,
      );
    }

    const loaded = configFromFlags(flags, io);
    if (!loaded) return CONFIG_EXIT;

    username ??= await ask(io, "Username: ");
    email ??= await ask(io, "Email: ");
    if (!USERNAME_PATTERN.test(username)) {
      io.stderr(
        `create-admin: username must be 3 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit\n`,
      );
      return 1;
    }
    if (!emailSchema.safeParse(email).success) {
      io.stderr("create-admin: email is not a valid email address\n");
      return 1;
    }
    let password: string;
    if (passwordOnStdin) {
      password = passwordFromStdin(await io.stdin.text());
    } else {
      password = await ask(io, "Password: ", true);
      const again = await ask(io, "Password again: ", true);
      if (again !== password) {
        io.stderr("create-admin: the passwords do not match\n");
        return 1;
      }
    }
    if (password === "") {
      io.stderr("create-admin: the password is empty\n");
      return 1;
    }

    // Only warnings and errors: a command's output is its own lines, not the request log.
    const ctx = await createContext(loaded.config, { logger: createLogger("warn") });
    try {
      const result = await ctx.users.create({ username, email, password, isAdmin: true });
      if (!result.ok) {
        io.stderr(`create-admin: ${result.message}\n`);
        return 1;
      }
      // An administrator exists: the first-run wizard and its code are of no use any more.
      new SetupCode(loaded.config.dataDir).remove();
      io.stdout(`created administrator ${result.user.username} (${result.user.id})\n`);
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
