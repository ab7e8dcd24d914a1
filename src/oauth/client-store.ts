import { eq } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { oauthClients } from "../db/schema/index.ts";

export type TokenEndpointAuthMethod = "none" | "client_secret_basic" | "client_secret_post";

/** A client as the authorization server uses it, wherever it came from. */
export interface OAuthClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  scope: string;
  source: "dynamic" | "admin" | "config" | "cimd";
  status: "active" | "pending";
  secretHash: string | null;
  createdAt: number;
}

type Row = typeof oauthClients.$inferSelect;

function fromRow(row: Row): OAuthClient {
  return {
    clientId: row.id,
    name: row.name,
    redirectUris: JSON.parse(row.redirectUris) as string[],
    grantTypes: JSON.parse(row.grantTypes) as string[],
    tokenEndpointAuthMethod: row.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
    scope: row.scope,
    source: row.source as OAuthClient["source"],
    status: row.status as OAuthClient["status"],
    secretHash: row.secretHash,
    createdAt: row.createdAt,
  };
}

/** Registered clients (the table). CIMD clients are cached in memory, never stored. */
export class ClientStore {
  constructor(private readonly db: Db) {}

  insert(client: OAuthClient): void {
    this.db
      .insert(oauthClients)
      .values({
        id: client.clientId,
        secretHash: client.secretHash,
        name: client.name,
        redirectUris: JSON.stringify(client.redirectUris),
        grantTypes: JSON.stringify(client.grantTypes),
        tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
        scope: client.scope,
        source: client.source,
        status: client.status,
        createdAt: client.createdAt,
      })
      .run();
  }

  find(clientId: string): OAuthClient | undefined {
    if (clientId.length === 0 || clientId.length > 255) return undefined;
    const row = this.db.select().from(oauthClients).where(eq(oauthClients.id, clientId)).get();
    return row ? fromRow(row) : undefined;
  }

  list(): OAuthClient[] {
    return this.db.select().from(oauthClients).all().map(fromRow);
  }

  delete(clientId: string): boolean {
    return this.db.delete(oauthClients).where(eq(oauthClients.id, clientId)).returning().all().length > 0;
  }

  approve(clientId: string): boolean {
    return (
      this.db
        .update(oauthClients)
        .set({ status: "active" })
        .where(eq(oauthClients.id, clientId))
        .returning()
        .all().length > 0
    );
  }
}
