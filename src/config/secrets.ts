import { createPrivateKey } from 'node:crypto';

/**
 * Checks of the settings that carry secrets, made at start so a mistake is a configuration error
 * naming the option, never a connection that fails later with a TLS library's message, and so a
 * secret never reaches a message or a log.
 */

type RegistryFlag = 'registry-url' | 'registry-user' | 'registry-password';

export interface RegistryCredentials {
  /** The URL without credentials (the only form that is ever used or printed). */
  url: string | undefined;
  username: string | undefined;
  password: string | undefined;
  issues: { flag: RegistryFlag; message: string }[];
}

/** `scheme://user:password@` at the start of a URL, whether or not the rest parses. */
const USERINFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#]*@/;

/** A URL with any user and password taken out, for messages. */
export function withoutCredentials(url: string): string {
  return url.replace(USERINFO, '$1');
}

/**
 * Credentials in the registry URL (`https://user:password@host/...`, a common way to write them)
 * become its basic auth: fetch refuses such URLs, and an error quoting the URL would print the
 * password. Both in the URL and in --registry-user/--registry-password is ambiguous: refused.
 */
export function registryConnection(
  url: string | undefined,
  username: string | undefined,
  password: string | undefined,
): RegistryCredentials {
  const out: RegistryCredentials = { url, username, password, issues: [] };
  if (url === undefined || !USERINFO.test(url)) return out;
  out.url = withoutCredentials(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return out; // reported as not a URL, without its credentials
  }
  if (username !== undefined || password !== undefined) {
    out.issues.push({
      flag: 'registry-url',
      message: `holds credentials and --registry-user or --registry-password is set too: keep one of them (the URL without credentials is ${out.url})`,
    });
    return out;
  }
  out.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') out.password = decodeURIComponent(parsed.password);
  return out;
}

/** Why a PEM private key cannot be used with this passphrase, naming the option to fix. */
export function privateKeyProblem(
  pem: string,
  passphrase: string | undefined,
): { fix: 'tls-key-file' | 'tls-key-passphrase'; message: string } | undefined {
  try {
    createPrivateKey({ key: pem, format: 'pem', passphrase });
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'invalid';
    if (!/ENCRYPTED/.test(pem)) return { fix: 'tls-key-file', message: `is not a usable PEM private key (${code})` };
    return passphrase === undefined
      ? { fix: 'tls-key-passphrase', message: 'required: the key in --tls-key-file is encrypted' }
      : { fix: 'tls-key-passphrase', message: 'does not decrypt the key in --tls-key-file' };
  }
}
