import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { KeyStore } from "./keys.ts";

/** Claims of an access token (RFC 9068 JWT profile). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  scope: string;
  exp: number;
  iat: number;
  jti: string;
}

export interface IssueInput {
  subject: string;
  audience: string | string[];
  clientId: string;
  scope: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Chosen by the caller when it must record the jti before the token exists. */
  jti?: string;
}

export type VerifyFailure =
  | "malformed"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_type"
  | "missing_claims";

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: VerifyFailure };

/** Issues and checks the gateway's JWT access tokens. Revocation and user state are checked by the caller. */
export class AccessTokenService {
  constructor(
    private readonly keys: KeyStore,
    private readonly issuer: string,
    private readonly now: () => number,
    private readonly clockSkewSeconds: number,
  ) {}

  async issue(input: IssueInput): Promise<{ token: string; jti: string; expiresAt: number }> {
    const key = this.keys.signingKey();
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + input.ttlSeconds;
    const jti = input.jti ?? crypto.randomUUID();
    const token = await new SignJWT({ client_id: input.clientId, scope: input.scope })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt" })
      .setIssuer(this.issuer)
      .setSubject(input.subject)
      .setAudience(input.audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.key);
    return { token, jti, expiresAt: exp * 1000 };
  }

  /** Checks signature (known kid, that key's algorithm only), typ, iss, exp/nbf and audience. */
  verify(token: string, audience: string): Promise<VerifyResult> {
    return this.check(token, audience);
  }

  /** Like verify, for any audience: revocation and introspection (never for granting access). */
  verifyAnyAudience(token: string): Promise<VerifyResult> {
    return this.check(token, undefined);
  }

  private async check(token: string, audience: string | undefined): Promise<VerifyResult> {
    if (token.length > 8192 || token.split(".").length !== 3) return { ok: false, reason: "malformed" };
    let header: { kid?: string; alg?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: "malformed" };
    }
    const key = this.keys.verificationKey(header.kid);
    if (!key) return { ok: false, reason: "unknown_key" };
    // The algorithm is pinned by the key the kid names, never taken from the token ("alg: none", HS/RS confusion).
    if (header.alg !== key.alg) return { ok: false, reason: "bad_signature" };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer: this.issuer,
        audience,
        typ: "at+jwt",
        clockTolerance: this.clockSkewSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ["sub", "exp", "iat", "jti"],
      }));
    } catch (error) {
      return { ok: false, reason: classify(error) };
    }
    if (typeof payload.sub !== "string" || typeof payload.jti !== "string") {
      return { ok: false, reason: "missing_claims" };
    }
    return { ok: true, claims: payload as unknown as AccessTokenClaims };
  }
}

function classify(error: unknown): VerifyFailure {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" || error.claim === "iat") return "not_yet_valid";
    if (error.claim === "iss") return "wrong_issuer";
    if (error.claim === "aud") return "wrong_audience";
    if (error.claim === "typ") return "wrong_type";
    return "missing_claims";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (error instanceof errors.JOSEAlgNotAllowed) return "bad_signature";
  return "malformed";
}
