import pkg from "../../../package.json" with { type: "json" };

/** The gateway's version, as it introduces itself to clients and backends. */
export const VERSION: string = pkg.version;
