/** Hosts that answer with cloud instance credentials: never a backend or token URL. */
const METADATA_HOSTS = new Set([
  "169.254.169.254",
  "[fd00:ec2::254]",
  "169.254.170.2",
  "100.100.100.200",
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

/**
 * Checks a backend (or backend token) URL: http/https, no credentials in it, not a cloud metadata
 * address. Loopback and private addresses are allowed: MCP servers often run on the same host.
 * Returns the problem, or undefined when the URL is acceptable.
 */
export function backendUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "expected an absolute http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "expected an http or https URL";
  if (url.username || url.password) return "credentials in the URL are not allowed";
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (METADATA_HOSTS.has(host)) return "cloud metadata addresses are refused";
  if (/^169\.254\./.test(host)) return "link-local addresses are refused";
  if (/^\[fe[89ab][0-9a-f]?:/i.test(host)) return "link-local addresses are refused";
  if (/^\[::ffff:(169\.254\.|a9fe:)/i.test(host)) return "link-local addresses are refused";
  if (url.hash) return "a fragment is not allowed";
  return undefined;
}
