/* eslint-disable @typescript-eslint/no-explicit-any --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
/** Shared test helpers: start a simulator on port 0 and build official SDK clients against it. */
import { Client } from '@hubspot/api-client';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/server.js';

/** Fast defaults: windows and delays 100x shorter, webhooks batched after 5 ms. */
export async function startTestSim(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, timeScale: 0.01, enableControlApi: true, ...opts });
}

/**
 * An SDK client with retries off: the SDK's retry decorator lives in a process-wide singleton, so
 * every client in these tests is created the same way (see docs/hubspot-facts.md "The official Node SDK").
 */
export function sdk(sim: RunningSimulator, accessToken = 'pat-test-token'): Client {
  return new Client({ accessToken, basePath: sim.url, numberOfApiCallRetries: 0 });
}

export function devSdk(sim: RunningSimulator): Client {
  return new Client({ developerApiKey: 'dev-key', basePath: sim.url, numberOfApiCallRetries: 0 });
}

/** Raw HTTP call; returns status, parsed body and headers. */
export async function call(sim: RunningSimulator, method: string, path: string, body?: unknown, token: string | null = 'pat-test-token'): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // non-JSON body: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Awaits a rejected SDK call and returns the ApiException (code, body). */
export async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any; headers: Record<string, string> }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; body: any; headers: Record<string, string> };
  }
  throw new Error('expected the SDK call to fail');
}
