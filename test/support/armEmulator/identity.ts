/**
 * The Microsoft Entra ID side: OpenID metadata and the v2.0 token endpoint for the
 * client-credentials grant (what @azure/identity's ClientSecretCredential uses), with AAD's error
 * bodies (AADSTS codes). Tokens look like real ARM access tokens (a JWT with tid, appid, oid, aud).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ArmState } from './armState';
import { TokenStore } from './armAuthentication';
import { json, newGuid, type EmulatorRequest, type EmulatorResponse } from './protocol';

export interface ServicePrincipal {
  clientId: string;
  clientSecret: string;
  objectId: string;
}

export const TOKEN_LIFETIME_SECONDS = 3600;

export class IdentityService {
  readonly principals = new Map<string, ServicePrincipal>();
  readonly tokens: TokenStore;
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly state: ArmState,
    private readonly baseUrl: () => string,
  ) {
    this.tokens = new TokenStore(baseUrl);
  }

  /** Answers identity-platform requests; undefined for ARM ones. */
  handle(req: EmulatorRequest): EmulatorResponse | undefined {
    const segs = req.path.split('/').filter(Boolean);
    const first = (segs[0] ?? '').toLowerCase();
    if (['subscriptions', 'tenants', 'providers'].includes(first) || segs.length === 0) {
      return undefined;
    }
    const rest = segs.slice(1).join('/').toLowerCase();
    if (first === 'common' && rest === 'discovery/instance') {
      return this.instanceDiscovery(req);
    }
    if (req.method === 'GET' && (rest === 'v2.0/.well-known/openid-configuration' || rest === '.well-known/openid-configuration')) {
      return this.openIdConfiguration(segs[0]);
    }
    if (req.method === 'GET' && rest === 'discovery/v2.0/keys') {
      return json(200, { keys: [] });
    }
    if (req.method === 'POST' && (rest === 'oauth2/v2.0/token' || rest === 'oauth2/token')) {
      return this.token(segs[0], req);
    }
    return aadError(404, 'invalid_request', 90002, `AADSTS90002: The endpoint '${req.path}' does not exist.`);
  }

  private tenantOf(nameOrId: string): string | undefined {
    const n = nameOrId.toLowerCase();
    return [...this.state.tenants.values()].find((t) => t.tenantId.toLowerCase() === n || t.defaultDomain.toLowerCase() === n)?.tenantId;
  }

  private openIdConfiguration(tenant: string): EmulatorResponse {
    const multi = ['common', 'organizations'].includes(tenant.toLowerCase());
    const tenantId = multi ? '{tenantid}' : this.tenantOf(tenant);
    if (!tenantId) {
      return aadError(
        400,
        'invalid_tenant',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const base = `${this.baseUrl()}/${tenant}`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${this.baseUrl()}/${tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  private instanceDiscovery(req: EmulatorRequest): EmulatorResponse {
    const host = new URL(this.baseUrl()).host;
    const authority = req.query.authorization_endpoint ?? `${this.baseUrl()}/common/oauth2/v2.0/authorize`;
    const tenant = new URL(authority).pathname.split('/')[1] ?? 'common';
    return json(200, {
      tenant_discovery_endpoint: `${this.baseUrl()}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private token(tenant: string, req: EmulatorRequest): EmulatorResponse {
    const form = new URLSearchParams(req.rawBody);
    const tenantId = this.tenantOf(tenant);
    if (!tenantId) {
      return aadError(
        400,
        'invalid_request',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(
        400,
        'unsupported_grant_type',
        70003,
        `AADSTS70003: The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`,
      );
    }
    const clientId = form.get('client_id') ?? '';
    const sp = this.principals.get(clientId.toLowerCase());
    if (!sp) {
      return aadError(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (form.get('client_secret') !== sp.clientSecret) {
      return aadError(
        401,
        'invalid_client',
        7000215,
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    // v2.0 asks with scope=<resource>/.default, the v1 endpoint with resource=<resource>.
    const resource = form.get('resource') ?? scopes.find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
    if (!resource || !this.tokens.isArmAudience(resource)) {
      return aadError(
        400,
        'invalid_resource',
        500011,
        `AADSTS500011: The resource principal named ${resource ?? scopes.join(' ')} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: resource.endsWith('/') ? resource : `${resource}/`,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
      appid: sp.clientId,
      appidacr: '1',
      idp: `https://sts.windows.net/${tenantId}/`,
      oid: sp.objectId,
      sub: sp.objectId,
      tid: tenantId,
      uti: randomBytes(12).toString('base64url'),
      ver: '1.0',
    };
    const unsigned = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'arm-emulator' })}.${b64(claims)}`;
    const token = `${unsigned}.${createHmac('sha256', this.signingKey).update(unsigned).digest('base64url')}`;
    this.tokens.remember(token, { tenantId, clientId: sp.clientId, objectId: sp.objectId, audience: resource, expiresAt: claims.exp * 1000 });
    return json(200, { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token: token });
  }
}

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function aadError(status: number, error: string, code: number, description: string): EmulatorResponse {
  const traceId = newGuid();
  const correlationId = newGuid();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return json(status, {
    error,
    error_description: `${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
