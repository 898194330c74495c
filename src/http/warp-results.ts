import { AppError } from '../lib/errors.js';
import type { Result, WarpFailureCode } from '../warp/result.js';

/** The one mapping from WARP command refusals to HTTP statuses; the code travels unchanged. */
export const FAILURE_STATUS: Readonly<Record<WarpFailureCode, 404 | 409>> = {
  not_found: 404,
  owned_by_hubspot: 409,
  email_taken: 409,
  number_taken: 409,
  campaign_exists: 409,
  brand_missing: 409,
};

/** A command's value, or its refusal as the error response (`{"error":{"code","message"}}`). */
export function valueOrRefusal<T>(result: Result<T>): T {
  if (!result.ok) throw new AppError(FAILURE_STATUS[result.code], result.code, result.message);
  return result.value;
}
