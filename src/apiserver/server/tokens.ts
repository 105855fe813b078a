/**
 * Bearer-token authentication: the admin token written into the kubeconfig, and ServiceAccount tokens as
 * kube-apiserver issues them through the TokenRequest subresource (ES256 JWTs with the `kubernetes.io` claim,
 * `kid` = SHA-256 of the public key). A token is only valid while its ServiceAccount exists with the same uid.
 */
import {
  createHash,
  createPublicKey,
  randomUUID,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { UserInfo } from '../objects/context.ts';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const ADMIN_USER: UserInfo = {
  username: 'cloak-admin',
  groups: ['system:masters', 'system:authenticated'],
};

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

export class TokenAuthority {
  readonly issuer: string;
  readonly #adminToken: Buffer;
  readonly #signingKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #keyId: string;

  constructor(adminToken: string, signingKey: KeyObject, issuer = DEFAULT_ISSUER) {
    this.issuer = issuer;
    this.#adminToken = Buffer.from(adminToken);
    this.#signingKey = signingKey;
    this.#publicKey = createPublicKey(signingKey);
    this.#keyId = createHash('sha256')
      .update(this.#publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  /** The audiences the API server itself accepts (kube's --api-audiences defaults to the issuer). */
  get apiAudiences(): string[] {
    return [this.issuer];
  }

  issue(
    account: ServiceAccountRef,
    audiences: readonly string[],
    expirationSeconds: number,
    now: Date,
  ): IssuedToken {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const claims: Claims = {
      iss: this.issuer,
      sub: `system:serviceaccount:${account.namespace}:${account.name}`,
      aud: [...audiences],
      exp: issuedAt + expirationSeconds,
      iat: issuedAt,
      nbf: issuedAt,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: account.namespace,
        serviceaccount: { name: account.name, uid: account.uid },
      },
    };
    const header = { alg: 'ES256', kid: this.#keyId };
    const signingInput = `${base64url(header)}.${base64url(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: this.#signingKey,
      dsaEncoding: 'ieee-p1363',
    });
    return {
      token: `${signingInput}.${signature.toString('base64url')}`,
      expiresAt: new Date(claims.exp * 1000),
    };
  }

  isAdminToken(token: string): boolean {
    const given = Buffer.from(token);
    return given.length === this.#adminToken.length && timingSafeEqual(given, this.#adminToken);
  }

  /**
   * The ServiceAccount a JWT was issued for, if the signature, issuer, audience and validity window check out
   * (the caller must still confirm the account exists with that uid).
   */
  verifyServiceAccountToken(token: string, now: Date): ServiceAccountRef | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header = '', payload = '', signature = ''] = parts;
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: this.#publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return undefined;
    const claims = parseClaims(payload);
    if (!claims || claims.iss !== this.issuer) return undefined;
    const seconds = now.getTime() / 1000;
    if (claims.exp < seconds || claims.nbf > seconds + 60) return undefined;
    if (!claims.aud.some((audience) => this.apiAudiences.includes(audience))) return undefined;
    const { namespace, serviceaccount } = claims['kubernetes.io'];
    return { namespace, name: serviceaccount.name, uid: serviceaccount.uid };
  }
}

export function serviceAccountUser(account: ServiceAccountRef): UserInfo {
  return {
    username: `system:serviceaccount:${account.namespace}:${account.name}`,
    uid: account.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'],
  };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseClaims(payload: string): Claims | undefined {
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Claims>;
    const kubernetes = claims['kubernetes.io'];
    if (typeof claims.exp !== 'number' || typeof claims.nbf !== 'number' || !Array.isArray(claims.aud))
      return undefined;
    if (
      !kubernetes ||
      typeof kubernetes.namespace !== 'string' ||
      typeof kubernetes.serviceaccount?.name !== 'string'
    )
      return undefined;
    return claims as Claims;
  } catch {
    return undefined;
  }
}
