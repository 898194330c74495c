import type { HubSpotGateway, HubSpotObject, Priority } from '../../hubspot/gateway.js';
import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import type { CrmReader, CrmRecord } from './crm-reader.js';

const toRecord = (object: HubSpotObject): CrmRecord => {
  const companies = object.associations?.[CRM_OBJECTS.company.path]?.results;
  // The labelled (primary) association first; unlabelled ones after it.
  const companyIds = companies
    ? [...companies].sort((a, b) => Number(a.type.includes('unlabeled')) - Number(b.type.includes('unlabeled'))).map((c) => c.id)
    : undefined;
  return {
    id: object.id,
    properties: object.properties,
    updatedAt: object.updatedAt ?? new Date(0).toISOString(),
    ...(companyIds ? { companyIds: [...new Set(companyIds)] } : {}),
  };
};

/**
 * Adapts the HubSpot gateway (rate budget, retries, batching) to inbound sync's reader port.
 * Webhook follow-up reads run at `realtime` priority; imports and reconcile pass their own.
 */
export function crmReaderFromGateway(gateway: HubSpotGateway, priority: Priority = 'realtime'): CrmReader {
  return {
    readBatch: async (objectType, ids, properties, signal) => {
      const { results, failures } = await gateway.batchRead(CRM_OBJECTS[objectType].path, ids, { properties, priority, ...(signal ? { signal } : {}) });
      // Records HubSpot does not have (deleted since) are simply absent; anything else is a failure.
      const failed = failures.find((f) => f.category !== 'OBJECT_NOT_FOUND' && f.status !== 404);
      if (failed) throw new Error(`HubSpot batch read of ${objectType} failed: ${failed.category} ${failed.message}`);
      return results.map(toRecord);
    },
    listPage: async (objectType, properties, after, signal) => {
      const associations = objectType === 'company' ? [] : [CRM_OBJECTS.company.path];
      const page = await gateway.listObjects(CRM_OBJECTS[objectType].path, {
        properties,
        associations,
        limit: 100,
        priority,
        ...(after ? { after } : {}),
        ...(signal ? { signal } : {}),
      });
      return { records: page.results.map(toRecord), after: page.after };
    },
  };
}
