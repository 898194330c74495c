/**
 * Default pipelines every HubSpot portal starts with: the deal pipeline `default` (stages with
 * `probability`/`isClosed` metadata, including `closedwon`) and the ticket pipeline `0` (stages with
 * `ticketState` OPEN/CLOSED). Stage ids match HubSpot's defaults.
 */
export interface PipelineStage { id: string; label: string; displayOrder: number; metadata: Record<string, string>; archived: boolean; archivedAt?: string; createdAt: string; updatedAt: string; writePermissions?: string }
export interface Pipeline { id: string; label: string; displayOrder: number; stages: PipelineStage[]; archived: boolean; archivedAt?: string; createdAt: string; updatedAt: string }

const AT = '2020-01-01T00:00:00.000Z';
const stage = (id: string, label: string, displayOrder: number, metadata: Record<string, string>): PipelineStage =>
  ({ id, label, displayOrder, metadata, archived: false, createdAt: AT, updatedAt: AT, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT' });

export function defaultPipelines(): Record<string, Pipeline[]> {
  return {
    deals: [{
      id: 'default', label: 'Sales Pipeline', displayOrder: 0, archived: false, createdAt: AT, updatedAt: AT,
      stages: [
        stage('appointmentscheduled', 'Appointment Scheduled', 0, { isClosed: 'false', probability: '0.2' }),
        stage('qualifiedtobuy', 'Qualified To Buy', 1, { isClosed: 'false', probability: '0.4' }),
        stage('presentationscheduled', 'Presentation Scheduled', 2, { isClosed: 'false', probability: '0.6' }),
        stage('decisionmakerboughtin', 'Decision Maker Bought-In', 3, { isClosed: 'false', probability: '0.8' }),
        stage('contractsent', 'Contract Sent', 4, { isClosed: 'false', probability: '0.9' }),
        stage('closedwon', 'Closed Won', 5, { isClosed: 'true', probability: '1.0' }),
        stage('closedlost', 'Closed Lost', 6, { isClosed: 'true', probability: '0.0' }),
      ],
    }],
    tickets: [{
      id: '0', label: 'Support Pipeline', displayOrder: 0, archived: false, createdAt: AT, updatedAt: AT,
      stages: [
        stage('1', 'New', 0, { ticketState: 'OPEN' }),
        stage('2', 'Waiting on contact', 1, { ticketState: 'OPEN' }),
        stage('3', 'Waiting on us', 2, { ticketState: 'OPEN' }),
        stage('4', 'Closed', 3, { ticketState: 'CLOSED' }),
      ],
    }],
  };
}
