import { KeyStore } from "../oauth/keys.ts";
import type { Command } from "./command.ts";
import { CONFIG_FLAGS_HELP, configOnly } from "./config-flags.ts";

export const rotateKeysCommand: Command = {
  name: "rotate-keys",
  summary: "add a new token signing key (old public keys stay published until their tokens expire)",
  usage: `Usage: authmcp-gateway rotate-keys [--env-file FILE] [--config FILE]

Adds a new signing key (JWT_ALGORITHM ES256 or RS256) to signing-keys.json in the data directory
and retires the current one. Tokens signed by a retired key keep verifying, and its public key stays
in /.well-known/jwks.json, until they have expired (JWT_ACCESS_TOKEN_EXPIRE_MINUTES plus the clock skew).

A running gateway reads its keys at start: restart it to sign with the new key.
With JWT_ALGORITHM=HS256 there is nothing to rotate here: change JWT_SECRET_KEY instead.

Options:
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const config = configOnly(argv, io, this.usage);
    if (typeof config === "number") return config;
    if (config.jwtAlgorithm === "HS256") {
      io.stderr("rotate-keys: JWT_ALGORITHM is HS256; change JWT_SECRET_KEY to rotate a shared secret\n");
      return 1;
    }
    const kid = await KeyStore.rotate(config.dataDir, config.jwtAlgorithm, Date.now());
    io.stdout(`new signing key ${kid} in ${config.dataDir}; restart the gateway to use it\n`);
    return 0;
  },
};
