import { type RunningSimulator, startSimulator } from './server.js';

/**
 * The simulator `npm start` runs in-process when no HubSpot token is set: seeded with the demo
 * portal, on loopback, with the control API on so demos can make "UI edits" and inject faults
 * (README.md). The service reaches it over HTTP exactly as it reaches HubSpot.
 */
export interface BundledSimulatorSettings {
  port: number;
  /** The secret it signs webhooks with: the one the service verifies. */
  clientSecret: string;
  limits: { burstLimit: number; burstWindowMs: number; dailyLimit: number; searchPerSecond: number };
  /** Where the portal is kept between starts (undefined: memory only). */
  stateFile: string | undefined;
  /** False: a portal without invoices (0-53): their endpoints answer 403, so the service sends invoice notes (HUBSPOT_SIM_INVOICES). */
  invoices: boolean;
}

export async function startBundledSimulator(settings: BundledSimulatorSettings, onPortTaken: (port: number) => void): Promise<RunningSimulator> {
  const options = {
    host: '127.0.0.1',
    clientSecret: settings.clientSecret,
    seedDemo: true,
    enableControlApi: true,
    burstLimit: settings.limits.burstLimit,
    burstWindowMs: settings.limits.burstWindowMs,
    dailyLimit: settings.limits.dailyLimit,
    searchPerSecond: settings.limits.searchPerSecond,
    invoicesEnabled: settings.invoices,
    ...(settings.stateFile ? { stateFile: settings.stateFile } : {}),
  };
  try {
    return await startSimulator({ ...options, port: settings.port });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    // Another instance (or a parallel test) has the port: any free port works, the URL is printed.
    onPortTaken(settings.port);
    return startSimulator({ ...options, port: 0 });
  }
}
