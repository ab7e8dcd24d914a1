/** Control characters and bidirectional overrides: they could disguise a name on the consent page. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Why a client_name cannot be shown, or undefined. */
export function clientNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length > 200)
    return "client_name must be text of at most 200 characters";
  if (UNSAFE_NAME.test(name)) return "client_name must not contain control or bidirectional characters";
  return undefined;
}
