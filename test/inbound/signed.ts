import { signV1, signV3 } from '../../src/hubspot/webhook-signature.js';

/** Sends a body to a webhook receiver signed the way HubSpot signs it (v3 over the full URL, plus v1). */
export async function postSigned(
  url: string,
  body: string,
  opts: { secret: string; timestampMs?: number; signedUrl?: string; v3?: boolean; headers?: Record<string, string> },
): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, string> }> {
  const timestamp = String(opts.timestampMs ?? Date.now());
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-hubspot-signature': signV1(opts.secret, body),
    'x-hubspot-signature-version': 'v1',
    ...opts.headers,
  };
  if (opts.v3 !== false) {
    headers['x-hubspot-signature-v3'] = signV3(opts.secret, 'POST', opts.signedUrl ?? url, body, timestamp);
    headers['x-hubspot-request-timestamp'] = timestamp;
  }
  return send(url, body, headers);
}

export async function send(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: Object.fromEntries(response.headers) };
}

let nextEventId = 1;

/** A company property change as HubSpot's legacy subscription sends it. */
export function propertyChange(objectId: number, propertyName: string, propertyValue: string, occurredAt: number, extra: Record<string, unknown> = {}) {
  return {
    eventId: nextEventId++, subscriptionId: 11, portalId: 1234567, appId: 7654321, occurredAt,
    subscriptionType: 'company.propertyChange', attemptNumber: 0, objectId, propertyName, propertyValue,
    changeSource: 'CRM_UI', sourceId: 'userId:1000001', ...extra,
  };
}
