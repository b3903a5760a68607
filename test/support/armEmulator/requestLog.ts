/** The record of every request the emulator answered, as tests read it back. */
import type { EmulatorRequest } from './protocol';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  apiVersion?: string;
  body?: unknown;
  status: number;
  /** ms since the epoch, when the request arrived. */
  at: number;
  /** 'identity' for sign-in traffic, 'acr' for registry token requests, 'arm' for everything else (operation polls included). */
  kind: 'identity' | 'acr' | 'arm';
  /** x-ms-client-request-id: the Azure SDK keeps it across retries of one call. */
  clientRequestId?: string;
  /** The x-ms-request-id the emulator answered with. */
  requestId: string;
}

const SECRET_FIELDS = ['client_secret', 'access_token', 'refresh_token', 'password'];

/** The body as recorded: parsed JSON, or the sign-in or token form with its secrets masked. */
export function recordedBody(req: EmulatorRequest, kind: RecordedRequest['kind']): unknown {
  if (!req.rawBody) {
    return undefined;
  }
  if (kind !== 'arm') {
    const form = Object.fromEntries(new URLSearchParams(req.rawBody));
    for (const field of SECRET_FIELDS) {
      if (form[field]) {
        form[field] = '***';
      }
    }
    return form;
  }
  try {
    return JSON.parse(req.rawBody);
  } catch {
    return req.rawBody;
  }
}
