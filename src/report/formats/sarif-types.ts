/** The subset of SARIF 2.1.0 that loom writes (full schema: https://json.schemastore.org/sarif-2.1.0.json). */
export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifMessage {
  text: string;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: SarifDriver };
  automationDetails: { id: string };
  originalUriBaseIds: Record<string, { uri?: string; description?: SarifMessage }>;
  invocations: SarifInvocation[];
  results: SarifResult[];
  properties?: Record<string, unknown>;
}

export interface SarifDriver {
  name: string;
  version: string;
  semanticVersion: string;
  informationUri: string;
  rules: SarifRule[];
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  defaultConfiguration: { level: SarifLevel };
  help: SarifMessage;
  properties?: Record<string, unknown>;
}

export interface SarifInvocation {
  executionSuccessful: boolean;
  toolExecutionNotifications: SarifNotification[];
}

export interface SarifNotification {
  level: SarifLevel;
  message: SarifMessage;
  properties?: Record<string, unknown>;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId: string };
    region: { startLine: number; endLine?: number };
  };
}
