import { expect } from 'vitest';

import type { RunningSimulator } from '../../src/simulator/server.js';

/**
 * Plain HTTP calls to a simulator, as an outside client (or a person in HubSpot's UI) makes them.
 * Each call must succeed; the parsed body is returned ({} when empty).
 */
export function simulatorClient(sim: () => RunningSimulator, token: string) {
  const simHttp = async (method: string, path: string, body?: unknown, bearer: string | null = token): Promise<Record<string, unknown>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    const response = await fetch(`${sim().url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
  /** A change made by a person in HubSpot's UI (the simulator's `/__sim/ui-edit` control). */
  const uiEdit = (edit: Record<string, unknown>): Promise<Record<string, unknown>> => simHttp('POST', '/__sim/ui-edit', edit, null);
  return { simHttp, uiEdit };
}
