/**
 * AES-256-GCM for secrets kept in the database (backend credentials, upstream tokens).
 * Format: "v1." + base64url(12-byte nonce || ciphertext+tag). A fresh nonce per value.
 */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  static async fromBase64(keyBase64: string): Promise<SecretBox> {
    const raw = Buffer.from(keyBase64, "base64");
    if (raw.length !== 32) throw new Error("encryption key must be 32 bytes");
    const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    return new SecretBox(key);
  }

  async encrypt(plaintext: string, associatedData = ""): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(associatedData) },
      this.key,
      new TextEncoder().encode(plaintext),
    );
    const out = new Uint8Array(iv.length + sealed.byteLength);
    out.set(iv, 0);
    out.set(new Uint8Array(sealed), iv.length);
    return `v1.${Buffer.from(out).toString("base64url")}`;
  }

  /** Throws when the value was altered, sealed under another key, or with other associated data. */
  async decrypt(sealed: string, associatedData = ""): Promise<string> {
    if (!sealed.startsWith("v1.")) throw new Error("unknown sealed-secret format");
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    if (bytes.length < 12 + 16) throw new Error("sealed secret too short");
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(0, 12),
        additionalData: new TextEncoder().encode(associatedData),
      },
      this.key,
      bytes.subarray(12),
    );
    return new TextDecoder().decode(plain);
  }
}

export function generateEncryptionKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
}
