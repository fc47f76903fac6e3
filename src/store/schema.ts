/** Table shapes as Kysely sees them. Booleans are 0/1 and JSON is text in both dialects. */

export interface UsersTable {
  id: string;
  email: string;
  email_fold: string;
  password_hash: string;
  creation_date: string;
  last_updated: string;
}

export interface ApplicationsTable {
  id: string;
  owner_id: string;
  name: string;
  name_fold: string;
  description: string | null;
  attributes: string;
  creation_date: string;
  last_updated: string;
}

export interface ApiTokensTable {
  id: string;
  application_id: string;
  name: string;
  name_fold: string;
  description: string | null;
  scope: string;
  status: string;
  expiration_date: string | null;
  creator_id: string;
  creator_type: string;
  creator_name: string | null;
  creation_date: string;
  last_updated: string;
}

export interface IntegrationsTable {
  id: string;
  application_id: string;
  name: string;
  name_fold: string;
  integration_type: string;
  enabled: number;
  topics: string;
  credential_name: string | null;
  config: string;
  secrets: string | null;
  status: string;
  creation_date: string;
  last_updated: string;
}

export interface IntegrationEventsTable {
  id: string;
  integration_id: string;
  application_id: string;
  ts: number;
  type: string;
  message: string | null;
}

export interface MessagesTable {
  application_id: string;
  pos: number;
  integration_id: string;
  time: number;
  topic: string;
  message: string;
  encoding: string | null;
  source_id: string | null;
  attributes: string | null;
}

export interface MessagePositionsTable {
  application_id: string;
  pos: number;
}

export interface MessagePrunedTable {
  integration_id: string;
  application_id: string;
  pos: number;
}

export interface CheckpointsTable {
  integration_id: string;
  source: string;
  partition_id: string;
  sequence_number: number;
  offset: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  applications: ApplicationsTable;
  api_tokens: ApiTokensTable;
  integrations: IntegrationsTable;
  integration_events: IntegrationEventsTable;
  settings: SettingsTable;
  messages: MessagesTable;
  message_positions: MessagePositionsTable;
  message_pruned: MessagePrunedTable;
  checkpoints: CheckpointsTable;
}
