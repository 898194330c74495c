/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
/** Shared test helpers: start a simulator on port 0 and build official SDK clients against it. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Client } from '@hubspot/api-client';
import { DefinitionConfigurationsApi, ServerConfiguration, createConfiguration } from '@hubspot/api-client/lib/codegen/crm/associations/v4/schema/index.js';
import { Observable } from '@hubspot/api-client/lib/codegen/crm/associations/v4/schema/rxjsStub.js';
import { ApiClientConfigurator } from '@hubspot/api-client/lib/src/configuration/ApiClientConfigurator.js';
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

/**
 * The SDK's association-limits API (`definitions/configurations`), which 13.5 generates but does not
 * expose on `Client`: built the way the SDK builds its other schema APIs.
 */
export function associationLimitsApi(sim: RunningSimulator, accessToken = 'pat-test-token'): DefinitionConfigurationsApi {
  const params = ApiClientConfigurator.getParams({ accessToken, basePath: sim.url }, ServerConfiguration, Observable, Observable);
  return new DefinitionConfigurationsApi(createConfiguration(params as never));
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

export interface Delivery { headers: IncomingHttpHeaders; raw: string; events: any[]; at: number }

/** A small local webhook receiver; `respond` decides the status (and an optional delay) per request. */
export class Receiver {
  deliveries: Delivery[] = [];
  inFlight = 0;
  maxInFlight = 0;
  respond: (n: number) => { status: number; delayMs?: number } = () => ({ status: 204 });
  private server!: Server;
  url = '';

  async start(path = '/hooks/hubspot?src=sim'): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        this.deliveries.push({ headers: req.headers, raw, events: JSON.parse(raw) as any[], at: Date.now() });
        const { status, delayMs } = this.respond(this.deliveries.length);
        setTimeout(() => {
          this.inFlight--;
          if (!res.destroyed) res.writeHead(status).end();
        }, delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  events(): any[] {
    return this.deliveries.flatMap((d) => d.events);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}


/** Returns a starter of webhook receivers; every receiver it started is closed after each test. */
export function receivers(): (path?: string) => Promise<Receiver> {
  const open: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  return async (path) => {
    const r = new Receiver();
    await r.start(path);
    open.push(r);
    return r;
  };
}
