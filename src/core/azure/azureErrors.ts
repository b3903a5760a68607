/** The sign-in is missing, expired or revoked: the tree offers "Sign in again" instead of an error. */
export class AzureSignInError extends Error {
  readonly isAzureSignInError = true;
  constructor(message: string) {
    super(message);
    this.name = 'AzureSignInError';
  }
}

export function isAzureSignInError(err: unknown): err is AzureSignInError {
  return (err as AzureSignInError | undefined)?.isAzureSignInError === true;
}

interface ArmErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
  details?: { error?: { code?: string; message?: string } };
}

const SIGN_IN_ERROR_NAMES = new Set(['AuthenticationRequiredError', 'CredentialUnavailableError', 'AuthenticationError']);
const SIGN_IN_ARM_CODES = new Set([
  'InvalidAuthenticationToken',
  'ExpiredAuthenticationToken',
  'AuthenticationFailed',
  'InvalidAuthenticationTokenTenant',
]);

/**
 * One sentence for what went wrong in a call to Azure: ARM's own error code and message when it
 * sent them, a sign-in error for anything that a fresh sign-in would fix. Never includes a token.
 */
export function describeAzureError(err: unknown, what: string): Error {
  if (isAzureSignInError(err)) {
    return err;
  }
  const e = (err ?? {}) as ArmErrorLike;
  const armCode = e.details?.error?.code ?? e.code;
  const armMessage = e.details?.error?.message ?? e.message ?? String(err);
  if (SIGN_IN_ERROR_NAMES.has(e.name ?? '') || e.statusCode === 401 || SIGN_IN_ARM_CODES.has(armCode ?? '')) {
    return new AzureSignInError(`Your Azure sign-in is no longer valid (${armCode ?? e.name ?? 'unauthorized'}). Sign in again to ${what}.`);
  }
  if (e.statusCode === 403 || armCode === 'AuthorizationFailed') {
    return new Error(`You are not allowed to ${what}: ${armMessage}`);
  }
  if (armCode && typeof e.statusCode === 'number') {
    return new Error(`Could not ${what}: ${armCode} — ${armMessage}`);
  }
  return new Error(`Could not ${what}: ${armMessage}`);
}
