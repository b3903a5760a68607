/** Requests, responses and errors as the emulator's core sees them, independent of the socket. */
import { randomUUID } from 'node:crypto';

export interface EmulatorRequest {
  method: string;
  /** Path as sent, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The query string as sent (without `?`), for parameters that repeat, which `query` keeps only one of. */
  rawQuery?: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  rawBody: string;
}

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** An ARM error response: `{ error: { code, message, target? } }` with the given status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toResponse(): EmulatorResponse {
    const error: ErrorDetail = { code: this.code, message: this.message };
    if (this.target) {
      error.target = this.target;
    }
    return { status: this.status, headers: { ...this.headers }, body: { error } };
  }
}

/** The errors several providers answer with, worded as ARM words them. */
export const armErrors = {
  pathNotFound: (path: string) => new ArmError(404, 'NotFound', `The requested path '${path}' does not exist.`),
  methodNotAllowed: (method: string) => new ArmError(405, 'HttpMethodNotAllowed', `The requested resource does not support http method '${method}'.`),
  resourceNotFound: (type: string, name: string, resourceGroup: string) =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  resourceGroupNotFound: (resourceGroup: string) =>
    new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`),
  resourceGroupBeingDeleted: (resourceGroup: string) =>
    new ArmError(
      409,
      'ResourceGroupBeingDeleted',
      `The resource group '${resourceGroup}' is in deprovisioning state and cannot perform this operation.`,
    ),
  subscriptionNotFound: (subscriptionId: string) =>
    new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`),
  /** Network's answer when a PUT references a resource that does not exist. */
  invalidReference: (referenced: string, by: string) =>
    new ArmError(
      400,
      'InvalidResourceReference',
      `Resource ${referenced} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    ),
  invalidParameter: (target: string, message: string) => new ArmError(400, 'InvalidParameter', message, target),
  missingParameter: (target: string) => new ArmError(400, 'InvalidParameter', `Required parameter '${target}' is missing (null).`, target),
  invalidContent: (detail: string, target?: string) =>
    new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${detail}.`, target),
};

export function newGuid(): string {
  return randomUUID();
}

export function lower(s: string): string {
  return s.toLowerCase();
}

/** The value of a query parameter, whatever the case of its name (ARM ignores it). */
export function queryParam(query: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : query[key];
}

export function json(status: number, body?: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers, body };
}
