/**
 * Where `--cert` points: a local path (including Windows drive letters), a file:// URL, or an http(s):// URL,
 * read the way kubeseal reads it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CloakError } from '../common/errors.ts';

export async function readCertificateSource(location: string, timeoutMs?: number): Promise<Buffer> {
  const scheme = urlScheme(location);
  if (scheme === undefined || scheme.length === 1) return readLocal(location);
  if (scheme === 'file') return readLocal(fileURLToPath(location));
  if (scheme === 'http' || scheme === 'https') return fetchRemote(location, timeoutMs);
  throw new CloakError('ERR_CERT_SOURCE', `cannot fetch "${location}": unsupported URL scheme "${scheme}:"`);
}

function urlScheme(location: string): string | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location);
  return match?.[1]?.toLowerCase();
}

async function readLocal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : (error as Error).message;
    throw new CloakError('ERR_CERT_SOURCE', `cannot read certificate ${path}: ${reason}`);
  }
}

async function fetchRemote(url: string, timeoutMs?: number): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {});
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new CloakError('ERR_CERT_SOURCE', `cannot fetch "${url}": ${(cause ?? (error as Error)).message}`);
  }
  if (response.status !== 200) {
    throw new CloakError(
      'ERR_CERT_SOURCE',
      `cannot fetch "${url}": ${response.status} ${response.statusText}`.trim(),
    );
  }
  return Buffer.from(await response.arrayBuffer());
}
