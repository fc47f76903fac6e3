/**
 * The scopes each endpoint accepts, written out by hand from the seeds, the
 * Losant docs and SPEC §2 — independently of src/security/scopes.ts, so the
 * scope matrix catches a mistake there.
 */
const READ = ['all.Application', 'all.Application.read', 'all.Organization', 'all.Organization.read', 'all.User', 'all.User.read'];
const WRITE = ['all.Application', 'all.Organization', 'all.User'];

export const ACCEPTS = {
  'GET /applications': ['all.Organization', 'all.Organization.read', 'all.User', 'all.User.cli', 'all.User.read', 'applications.*', 'applications.get'],
  'POST /applications': ['all.Organization', 'all.User', 'applications.*', 'applications.post'],
  'GET /applications/{applicationId}': [
    'all.Application',
    'all.Application.cli',
    'all.Application.read',
    'all.Organization',
    'all.Organization.read',
    'all.User',
    'all.User.cli',
    'all.User.read',
    'application.*',
    'application.get',
  ],
  'PATCH /applications/{applicationId}': ['all.Application', 'all.Application.cli', 'all.Organization', 'all.User', 'all.User.cli', 'application.*', 'application.patch'],
  'DELETE /applications/{applicationId}': [...WRITE, 'application.*', 'application.delete'],
  'GET /applications/{applicationId}/tokens': [...READ, 'applicationApiTokens.*', 'applicationApiTokens.get'],
  'POST /applications/{applicationId}/tokens': [...WRITE, 'applicationApiTokens.*', 'applicationApiTokens.post'],
  'GET /applications/{applicationId}/tokens/{apiTokenId}': [...READ, 'applicationApiToken.*', 'applicationApiToken.get'],
  'PATCH /applications/{applicationId}/tokens/{apiTokenId}': [...WRITE, 'applicationApiToken.*', 'applicationApiToken.patch'],
  'DELETE /applications/{applicationId}/tokens/{apiTokenId}': [...WRITE, 'applicationApiToken.*', 'applicationApiToken.delete'],
  'GET /applications/{applicationId}/integrations': [...READ, 'integrations.*', 'integrations.get'],
  'POST /applications/{applicationId}/integrations': [...WRITE, 'integrations.*', 'integrations.post'],
  'GET /applications/{applicationId}/integrationMessageStream': [...READ, 'integrations.*', 'integrations.messageStream'],
  // SPEC §9: the status stream as GET …/integrations, the probe as POST …/integrations.
  'GET /applications/{applicationId}/integrationStatusStream': [...READ, 'integrations.*', 'integrations.get'],
  'POST /applications/{applicationId}/integrations/probe': [...WRITE, 'integrations.*', 'integrations.post'],
  'GET /applications/{applicationId}/integrations/{integrationId}': [...READ, 'integration.*', 'integration.get'],
  'PATCH /applications/{applicationId}/integrations/{integrationId}': [...WRITE, 'integration.*', 'integration.patch'],
  'DELETE /applications/{applicationId}/integrations/{integrationId}': [...WRITE, 'integration.*', 'integration.delete'],
  'GET /applications/{applicationId}/integrations/{integrationId}/events': [...READ, 'integration.*', 'integration.events'],
  'GET /applications/{applicationId}/integrations/{integrationId}/messages': [...READ, 'integration.*', 'integration.messages'],
  'POST /applications/{applicationId}/integrations/{integrationId}/publish': [...WRITE, 'integration.*', 'integration.publish'],
  'GET /applications/{applicationId}/integrations/{integrationId}/messageStream': [...READ, 'integration.*', 'integration.messageStream'],
} as const satisfies Record<string, readonly string[]>;

