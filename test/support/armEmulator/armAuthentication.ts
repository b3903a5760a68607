/**
 * The tokens the emulated Entra ID issued, and the checks ARM makes on the bearer token of every
 * request, answered with ARM's real 401 codes, messages and WWW-Authenticate header.
 */
import { ArmError, type EmulatorRequest } from './protocol';

export interface Caller {
  tenantId: string;
  clientId: string;
  objectId: string;
}

export interface IssuedToken extends Caller {
  audience: string;
  expiresAt: number;
}

const ARM_AUDIENCES = ['https://management.azure.com', 'https://management.core.windows.net'];

export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly baseUrl: () => string) {}

  /** ARM accepts tokens for its public audiences, and for the emulator's own URL (`${endpoint}/.default`, which the classic SDK clients ask for). */
  isArmAudience(resource: string): boolean {
    const r = resource.replace(/\/+$/, '').toLowerCase();
    return ARM_AUDIENCES.includes(r) || r === this.baseUrl().toLowerCase();
  }

  remember(token: string, issued: IssuedToken): void {
    this.tokens.set(token, issued);
  }

  /** What the emulated Entra ID issued this token as, or undefined for a token it never issued. */
  issued(token: string): Readonly<IssuedToken> | undefined {
    return this.tokens.get(token);
  }

  /** Every token issued so far stops working; new sign-ins get valid ones. */
  expireAll(): void {
    for (const t of this.tokens.values()) {
      t.expiresAt = Math.min(t.expiresAt, Date.now() - 1000);
    }
  }

  /** Who is calling ARM, or the 401 ARM answers. */
  authenticate(req: EmulatorRequest, defaultTenant: string): Caller {
    const fail = (code: string, message: string, description: string) =>
      new ArmError(401, code, message, undefined, {
        'WWW-Authenticate': `Bearer authorization_uri="${this.baseUrl()}/${defaultTenant}", error="invalid_token", error_description="${description}"`,
      });
    const header = req.headers.authorization;
    if (!header) {
      throw fail(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      );
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      throw fail(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        'The access token is in an invalid format.',
      );
    }
    const issued = this.tokens.get(m[1]);
    if (!issued) {
      throw fail('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    }
    if (issued.expiresAt <= Date.now()) {
      const at = (ms: number) =>
        new Date(ms)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, '')
          .replace(/-/g, '/');
      throw fail(
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${at(issued.expiresAt)}' is earlier than current UTC time '${at(Date.now())}'.`,
        'The access token has expired.',
      );
    }
    if (!this.isArmAudience(issued.audience)) {
      throw fail(
        'InvalidAuthenticationToken',
        `The access token has been obtained for wrong audience or resource '${issued.audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
        'The access token audience is invalid.',
      );
    }
    return { tenantId: issued.tenantId, clientId: issued.clientId, objectId: issued.objectId };
  }

  /** ARM's answer when a token from one tenant is used on another tenant's subscription. */
  wrongTenant(caller: Caller, subscriptionTenant: string): ArmError {
    return new ArmError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer 'https://sts.windows.net/${caller.tenantId}/'. It must match the tenant 'https://sts.windows.net/${subscriptionTenant}/' associated with this subscription. Please use the authority (URL) '${this.baseUrl()}/${subscriptionTenant}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
      undefined,
      {
        'WWW-Authenticate': `Bearer authorization_uri="${this.baseUrl()}/${subscriptionTenant}", error="invalid_token", error_description="The access token is from the wrong issuer."`,
      },
    );
  }
}
