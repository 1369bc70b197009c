/**
 * The real time-skipping test server with the project's search attributes. Apart from the stack helpers
 * (time-skipping.ts), which install the test Runtime when imported: the bench installs its own.
 */
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';

export async function startTimeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath } },
  });
  // The Java test server knows no custom search attributes until they are added.
  const {
    INDEXED_VALUE_TYPE_KEYWORD: KEYWORD,
    INDEXED_VALUE_TYPE_BOOL: BOOL,
    INDEXED_VALUE_TYPE_DATETIME: DATETIME,
    INDEXED_VALUE_TYPE_INT: INT,
    INDEXED_VALUE_TYPE_KEYWORD_LIST: KEYWORD_LIST,
  } = proto.temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: {
      MonoAccountState: KEYWORD,
      MonoInstitution: KEYWORD,
      MonoEscalated: BOOL,
      MonoStateSince: DATETIME,
      MonoUndelivered: BOOL,
      MonoLastHeard: DATETIME,
      MonoReauthorisedAt: DATETIME,
      MonoReauthSeconds: INT,
      MonoReauthChannels: KEYWORD_LIST,
      MonoIncident: KEYWORD,
    },
  });
  return env;
}
