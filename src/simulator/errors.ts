/**
 * HubSpot's error envelope: `{status:"error", message, correlationId, category, errors?, context?}`.
 * Route code throws `HubSpotError`; the server's error handler renders it. All fields are optional
 * per HubSpot ("should all be treated as optional"), but we always send status/message/category.
 */
import { randomUUID } from 'node:crypto';

/** Categories HubSpot uses in error bodies (docs/hubspot-facts.md "Records, batches, search"). */
export const errorCategories = [
  'VALIDATION_ERROR',
  'OBJECT_NOT_FOUND',
  'MISSING_SCOPES',
  'INVALID_AUTHENTICATION',
  'CONFLICT',
  'RATE_LIMITS',
  'LOCKED',
  'BAD_GATEWAY',
  'SERVICE_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
  'INTERNAL_ERROR',
  'MIGRATION_IN_PROGRESS',
] as const;
export type ErrorCategory = (typeof errorCategories)[number];

export interface ErrorDetail {
  message: string;
  code?: string;
  in?: string;
  context?: Record<string, string[]>;
  subCategory?: string;
}

export class HubSpotError extends Error {
  override name = 'HubSpotError';
  constructor(
    readonly statusCode: number,
    readonly category: ErrorCategory,
    message: string,
    readonly extra: { errors?: ErrorDetail[]; context?: Record<string, unknown>; subCategory?: string; [k: string]: unknown } = {},
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId: randomUUID(), category: this.category, ...this.extra };
  }
}

export const notFound = (message = 'resource not found'): HubSpotError =>
  new HubSpotError(404, 'OBJECT_NOT_FOUND', message);

export const validation = (message: string, errors?: ErrorDetail[]): HubSpotError =>
  new HubSpotError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {});

/** One invalid property value, in the shape HubSpot embeds in "Property values were not valid: [...]". */
export interface PropertyValueError {
  name: string;
  error: string;
  message: string;
}

/**
 * HubSpot reports bad record properties as 400 VALIDATION_ERROR whose message embeds a JSON array
 * (e.g. `Property values were not valid: [{"isValid":false,"message":"Property \"x\" does not exist",
 * "error":"PROPERTY_DOESNT_EXIST","name":"x",...}]`) and whose `errors[]` carry the code per property.
 */
export function propertyValuesInvalid(portalId: number, problems: PropertyValueError[]): HubSpotError {
  const embedded = problems.map((p) => ({
    isValid: false,
    message: p.message,
    error: p.error,
    name: p.name,
    localizedErrorMessage: p.message,
    portalId,
  }));
  return new HubSpotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(embedded)}`, {
    errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
  });
}

export function toErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
