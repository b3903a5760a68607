/**
 * The token service of Azure Container Registry, which on Azure every registry serves on its own
 * login server and here the emulator serves for all of them (the registries' /v2/ challenge names
 * the emulator's realm; the `service` parameter says which registry is meant):
 *
 * - POST /oauth2/exchange (grant_type=access_token): an Entra ID token the emulator issued, for
 *   Resource Manager, from the registry's tenant → an ACR refresh token.
 * - /oauth2/token → a registry access token (a JWT the registry verifies with distribution's
 *   `auth: token:` config) for the requested scopes: GET with basic auth (what dockerd sends for a
 *   user name and password: the refresh token as the password of the all-zero user, or the admin
 *   user), or POST with grant_type=refresh_token or password.
 *
 * Error bodies follow the registry API's `{errors: [{code, message}]}`; the wording is the
 * emulator's own. Every caller is treated as owning the registry: requested actions are granted.
 */
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import type { TokenStore } from './armAuthentication';
import type { ArmState } from './armState';
import { registryByLoginServer, type RegistryHidden } from './containerRegistries';
import type { EmulatorCore } from './emulatorCore';
import { json, type EmulatorRequest, type EmulatorResponse } from './protocol';
import type { JsonObject } from './specLibrary';

/** What ACR puts in `iss`; the registry's `auth: token: issuer:` must say the same. */
export const ACR_TOKEN_ISSUER = 'Azure Container Registry';
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
const REFRESH_TOKEN_LIFETIME_MS = 3 * 3600 * 1000;
const ACCESS_TOKEN_LIFETIME_S = 3600;

interface RefreshToken {
  service: string;
  subject: string;
  expiresAt: number;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

function acrError(status: number, code: string, message: string): EmulatorResponse {
  return json(status, { errors: [{ code, message }] });
}

const unauthorized = (message: string) => acrError(401, 'UNAUTHORIZED', message);

/** `repository:team/app:pull,push` → one access entry; the name may itself hold colons (`repository(plugin)`). */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) {
    return undefined;
  }
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

export class AcrTokenService {
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private signer?: { key: KeyObject; x5c: string };

  constructor(private readonly core: EmulatorCore) {}

  /** The key access tokens are signed with; its certificate is what the registry's rootcertbundle holds. */
  useSigningKey(certPem: string, keyPem: string): void {
    this.signer = { key: createPrivateKey(keyPem), x5c: new X509Certificate(certPem).raw.toString('base64') };
  }

  /** Answers /oauth2/exchange and /oauth2/token; undefined for every other path. */
  handle(req: EmulatorRequest): EmulatorResponse | undefined {
    const path = req.path.toLowerCase();
    if (path === '/oauth2/exchange') {
      return req.method === 'POST' ? this.exchange(new URLSearchParams(req.rawBody)) : acrError(405, 'UNSUPPORTED', 'The method is not allowed.');
    }
    if (path === '/oauth2/token') {
      if (req.method === 'GET') {
        return this.tokenForBasicAuth(req);
      }
      return req.method === 'POST' ? this.tokenForForm(new URLSearchParams(req.rawBody)) : acrError(405, 'UNSUPPORTED', 'The method is not allowed.');
    }
    return undefined;
  }

  private get state(): ArmState {
    return this.core.state;
  }

  private get aadTokens(): TokenStore {
    return this.core.identity.tokens;
  }

  private registry(service: string | null): JsonObject | undefined {
    return service ? registryByLoginServer(this.core, service) : undefined;
  }

  private exchange(form: URLSearchParams): EmulatorResponse {
    if (form.get('grant_type') !== 'access_token') {
      return acrError(400, 'UNSUPPORTED', `The grant type '${form.get('grant_type') ?? ''}' is not supported; use access_token.`);
    }
    const service = form.get('service');
    const registry = this.registry(service);
    if (!registry || !service) {
      return acrError(400, 'INVALID_SERVICE', `The service '${service ?? ''}' is not a registry login server.`);
    }
    const aad = this.aadTokens.issued(form.get('access_token') ?? '');
    if (!aad) {
      return unauthorized('The Azure AD access token is not valid.');
    }
    if (aad.expiresAt <= Date.now()) {
      return unauthorized('The Azure AD access token has expired. Sign in to Azure again.');
    }
    const registryTenant = this.state.subscription(String(registry.id).split('/')[2])?.tenantId ?? '';
    const tenant = form.get('tenant');
    if (aad.tenantId.toLowerCase() !== registryTenant.toLowerCase() || (tenant && tenant.toLowerCase() !== aad.tenantId.toLowerCase())) {
      return unauthorized(`The Azure AD access token is from tenant '${aad.tenantId}', not the registry's tenant '${registryTenant}'.`);
    }
    if (!this.aadTokens.isArmAudience(aad.audience)) {
      return unauthorized(`The Azure AD access token is for '${aad.audience}', not for Azure Resource Manager.`);
    }
    if (!this.state.hiddenState<RegistryHidden>(String(registry.id)).armTokensAccepted) {
      return unauthorized(
        `The registry ${String(registry.name)} does not accept Azure Resource Manager tokens (its azureADAuthenticationAsArmPolicy is disabled); use a token for https://containerregistry.azure.net.`,
      );
    }
    const refreshToken = randomBytes(32).toString('base64url');
    this.refreshTokens.set(refreshToken, {
      service: service.toLowerCase(),
      subject: aad.objectId,
      expiresAt: Date.now() + REFRESH_TOKEN_LIFETIME_MS,
    });
    return json(200, { refresh_token: refreshToken });
  }

  private tokenForBasicAuth(req: EmulatorRequest): EmulatorResponse {
    const query = new URLSearchParams(req.rawQuery ?? new URLSearchParams(req.query).toString());
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!basic) {
      return unauthorized('authentication required, visit https://aka.ms/acr/authorization for more information.');
    }
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return this.issue(query.get('service'), query.getAll('scope'), decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  private tokenForForm(form: URLSearchParams): EmulatorResponse {
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      return this.issue(form.get('service'), form.getAll('scope'), ACR_REFRESH_TOKEN_USER, form.get('refresh_token') ?? '');
    }
    if (grant === 'password') {
      return this.issue(form.get('service'), form.getAll('scope'), form.get('username') ?? '', form.get('password') ?? '');
    }
    return acrError(400, 'UNSUPPORTED', `The grant type '${grant ?? ''}' is not supported; use refresh_token or password.`);
  }

  /** Checks the credentials against the registry named by `service` and signs an access token for the scopes. */
  private issue(service: string | null, scopes: string[], username: string, secret: string): EmulatorResponse {
    const registry = this.registry(service);
    if (!registry || !service) {
      return acrError(400, 'INVALID_SERVICE', `The service '${service ?? ''}' is not a registry login server.`);
    }
    let subject: string;
    if (username === ACR_REFRESH_TOKEN_USER) {
      const refresh = this.refreshTokens.get(secret);
      if (!refresh || refresh.service !== service.toLowerCase()) {
        return unauthorized('The refresh token is not valid for this registry.');
      }
      if (refresh.expiresAt <= Date.now()) {
        return unauthorized('The refresh token has expired.');
      }
      subject = refresh.subject;
    } else {
      const admin = (registry.properties as JsonObject).adminUserEnabled === true && username === String(registry.name);
      if (!admin || !this.state.hiddenState<RegistryHidden>(String(registry.id)).passwords.includes(secret)) {
        return unauthorized('Incorrect username or password.');
      }
      subject = username;
    }
    return json(200, { access_token: this.accessToken(service, subject, scopes) });
  }

  private accessToken(service: string, subject: string, scopes: string[]): string {
    if (!this.signer) {
      throw new Error('ACR token service: no signing key (useSigningKey)');
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: randomBytes(16).toString('hex'),
      sub: subject,
      // Distribution allows a minute of clock skew; nbf in the past keeps a token usable at once anyway.
      nbf: now - 60,
      exp: now + ACCESS_TOKEN_LIFETIME_S,
      iat: now,
      iss: ACR_TOKEN_ISSUER,
      aud: service,
      access: scopes.map(parseScope).filter((a): a is Access => a !== undefined),
    };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    // x5c rather than a libtrust kid: distribution verifies the chain against its rootcertbundle.
    const unsigned = `${b64({ typ: 'JWT', alg: 'ES256', x5c: [this.signer.x5c] })}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(unsigned), { key: this.signer.key, dsaEncoding: 'ieee-p1363' });
    return `${unsigned}.${signature.toString('base64url')}`;
  }
}
