import { afterEach, describe, expect, test } from "bun:test";
import { COMMON_PASSWORDS } from "../../src/identity/common-passwords.ts";
import { jsonInit, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway;
afterEach(async () => {
  await gateway?.close();
});

let serial = 0;
async function register(password: string) {
  serial += 1;
  const response = await gateway.request(
    "/auth/register",
    jsonInit({ username: `person-${serial}`, email: `p${serial}@example.test`, password }),
  );
  const body = (await response.json()) as { error?: string; error_description?: string };
  const created = gateway.ctx.users.byUsername(`person-${serial}`) !== undefined;
  return { status: response.status, body, created };
}

describe("password policy at registration (NIST SP 800-63B)", () => {
  test("mostly-space passwords are refused, whatever their classes", async () => {
    gateway = await testGateway({ ALLOW_REGISTRATION: "true" });
    for (const password of [`${" ".repeat(8)}A1a`, `A1a${"\t".repeat(9)}`, `${" ".repeat(15)}Abc-1234`]) {
      const result = await register(password);
      expect(result.status).toBe(400);
      expect(result.body.error).toBe("weak_password");
      expect(result.body.error_description).toContain("other than spaces");
      expect(result.created).toBe(false);
    }
  });

  test("the most common leaked passwords are refused, in any case, even when they follow the class rules", async () => {
    gateway = await testGateway({ ALLOW_REGISTRATION: "true" });
    for (const password of [
      "Password1!",
      "P@ssw0rd",
      "PASSWORD123!",
      "Welcome2025!",
      "Qwerty123!",
      " Passw0rd! ",
    ]) {
      const result = await register(password);
      expect(result.status).toBe(400);
      expect(result.body.error_description).toContain("commonly used password");
      expect(result.created).toBe(false);
    }
    expect(COMMON_PASSWORDS.length).toBeGreaterThan(300);
    expect(COMMON_PASSWORDS.length).toBeLessThan(2000);
  });

  test("a long passphrase needs no character classes; shorter passwords still do", async () => {
    gateway = await testGateway({ ALLOW_REGISTRATION: "true" });
    const passphrase = await register("correct horse battery staple");
    expect(passphrase.status).toBe(202);
    expect(passphrase.created).toBe(true);
    expect((await register("onlylowercasexy")).created).toBe(true);
    const short = await register("onlylowercase");
    expect(short.status).toBe(400);
    expect(short.body.error_description).toContain("an uppercase letter");
  });

  test("PASSWORD_PASSPHRASE_MIN_LENGTH sets where passphrases begin; the other settings keep working", async () => {
    gateway = await testGateway({
      ALLOW_REGISTRATION: "true",
      PASSWORD_PASSPHRASE_MIN_LENGTH: "30",
      PASSWORD_MIN_LENGTH: "12",
      PASSWORD_REQUIRE_SPECIAL: "false",
    });
    const tooShortForPassphrase = await register("correct horse battery staple");
    expect(tooShortForPassphrase.status).toBe(400);
    expect(tooShortForPassphrase.body.error_description).toContain("an uppercase letter");
    expect((await register("correct horse battery staple now")).created).toBe(true);
    const short = await register("Abcdefgh1x");
    expect(short.body.error_description).toContain("at least 12 characters");
    expect((await register("Abcdefgh1xyz")).created).toBe(true);
  });
});
