import { parseArgs } from 'node:util';

import { Registry } from 'prom-client';

import { openDatabase } from '../../db/connect.js';
import { connectHubSpot } from '../../hubspot/connection.js';
import { isHubSpotError } from '../../hubspot/gateway.js';
import { applyProvisioning, formatPlan, formatReport, planProvisioning } from '../../hubspot/provision.js';
import { createRateBudgetStore } from '../../store/rate-budget.js';
import type { CliCommand } from '../command.js';

const USAGE = `Usage: npm run cli -- provision [--dry-run]

Creates what WARP needs in HubSpot: the "warp" property group with the WARP properties of
companies, contacts and tickets, and the custom objects Trunks and Numbers with their
associations. Safe to repeat: a provisioned portal gets no writes.

  --dry-run   print the plan (exists / create / update / conflict) and change nothing

Without HUBSPOT_ACCESS_TOKEN it provisions the simulator of a running service (npm start) or
of npm run sim on SIMULATOR_PORT. Exit code 1 when a step failed or a conflict needs a person.`;

export const provisionCommand: CliCommand = {
  name: 'provision',
  summary: 'Create the WARP properties and custom objects in HubSpot (--dry-run: plan only)',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean', default: false } }, strict: true });
    const settings = context.config.hubspot;
    const db = await openDatabase(context.config.database, context.logger);
    // The simulator of a running service (npm start) or of npm run sim, when no token is set.
    const simulatorUrl = `http://127.0.0.1:${settings.simulatorPort}`;
    try {
      const { gateway, baseUrl, simulated } = connectHubSpot(settings, { budgetStore: createRateBudgetStore(db.pool), logger: context.logger, metrics: new Registry(), simulatorUrl });
      context.out(`HubSpot: ${baseUrl}${simulated ? ' (simulator)' : ''}`);
      const plan = await planProvisioning(gateway, { priority: 'realtime' });
      if (values['dry-run']) {
        await gateway.close();
        for (const line of formatPlan(plan)) context.out(line);
        context.out('Dry run: nothing was changed.');
        return;
      }
      const report = await applyProvisioning(plan);
      await gateway.close();
      for (const line of formatReport(report)) context.out(line);
      if (report.failed > 0 || report.conflicts > 0) {
        throw new Error(`provisioning incomplete: ${report.failed} failed, ${report.conflicts} conflict(s); see the lines above`);
      }
    } catch (error) {
      if (!settings.accessToken && isHubSpotError(error, 'retryable') && error.status === 0) {
        throw new Error(`no HubSpot simulator answers at ${simulatorUrl}: start the service (npm start) or npm run sim -- --port ${settings.simulatorPort}, or set HUBSPOT_ACCESS_TOKEN`, { cause: error });
      }
      throw error;
    } finally {
      await db.close();
    }
  },
};
