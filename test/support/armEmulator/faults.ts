/**
 * Request-level faults: the next N ARM requests answer 429 or 5xx instead of being served, or the
 * next request of a kind is refused the way its provider refuses it (quota, policy, capacity).
 */
import { ArmError, newGuid, type EmulatorRequest } from './protocol';

export interface Refusal {
  method: string;
  /** Matched against the request path. */
  path: RegExp;
  status: number;
  code: string;
  message: string;
}

const SERVER_ERROR_CODES: Record<number, [string, string]> = {
  500: ['InternalServerError', 'Encountered internal server error.'],
  502: ['BadGateway', 'The gateway did not receive a response from the upstream server in time.'],
  503: ['ServiceUnavailable', 'The server (leader) is currently unable to receive requests. Please retry your request.'],
  504: ['GatewayTimeout', 'The gateway did not receive a response from the upstream server within the specified time period.'],
};

export class RequestFaults {
  private throttleLeft = 0;
  private retryAfterSeconds = 1;
  private serverErrorsLeft = 0;
  private serverErrorStatus = 500;
  private readonly refusals: Refusal[] = [];

  throttle(count: number, retryAfterSeconds = 1): void {
    this.throttleLeft = count;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  serverError(count: number, status = 500): void {
    this.serverErrorsLeft = count;
    this.serverErrorStatus = status;
  }

  refuseNext(refusal: Refusal): void {
    this.refusals.push(refusal);
  }

  /** The fault this request meets, if any; each one is used up by the request it hits. */
  take(subscriptionId: string | undefined, req: EmulatorRequest): ArmError | undefined {
    const refusal = this.refusals.findIndex((r) => r.method === req.method && r.path.test(req.path));
    if (refusal >= 0) {
      const [r] = this.refusals.splice(refusal, 1);
      return new ArmError(r.status, r.code, r.message);
    }
    if (this.throttleLeft > 0) {
      this.throttleLeft--;
      return new ArmError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/srpthrottlinglimits',
        undefined,
        { 'Retry-After': String(this.retryAfterSeconds), 'x-ms-ratelimit-remaining-subscription-reads': '0' },
      );
    }
    if (this.serverErrorsLeft > 0) {
      this.serverErrorsLeft--;
      const [code, text] = SERVER_ERROR_CODES[this.serverErrorStatus] ?? SERVER_ERROR_CODES[500];
      const diag = `Diagnostic information: timestamp '${new Date().toISOString()}', subscription id '${subscriptionId ?? ''}', tracking id '${newGuid()}', request correlation id '${newGuid()}'.`;
      return new ArmError(this.serverErrorStatus, code, `${text} ${diag}`);
    }
    return undefined;
  }
}
