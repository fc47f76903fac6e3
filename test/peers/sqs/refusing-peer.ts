import { createServer } from 'node:http';
import { listen, readBody } from '../http.js';

/**
 * An SQS endpoint that refuses every request's credentials the way SQS does
 * over the JSON protocol the SDK speaks (x-amz-json-1.0 with
 * x-amzn-query-error, as @aws-sdk/client-sqs 3.1175 reads errors): an access
 * key it does not know gets InvalidClientTokenId; the one it knows gets
 * SignatureDoesNotMatch (it does not compute signatures, so any secret is wrong).
 */
export interface RefusingSqsPeer {
  readonly endpoint: string;
  /** The access key id answered with SignatureDoesNotMatch. */
  readonly knownAccessKeyId: string;
  /** Requests seen, by X-Amz-Target (e.g. AmazonSQS.GetQueueAttributes). */
  readonly targets: readonly string[];
  close(): Promise<void>;
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export async function startRefusingSqsPeer(knownAccessKeyId = 'AKIDKNOWNBUTWRONG'): Promise<RefusingSqsPeer> {
  const targets: string[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then(() => {
      targets.push(String(request.headers['x-amz-target'] ?? ''));
      const keyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
      const [code, message] = keyId === knownAccessKeyId ? ['SignatureDoesNotMatch', BAD_SIGNATURE] : ['InvalidClientTokenId', INVALID_TOKEN];
      const body = JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message });
      response.writeHead(403, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${code};Sender`,
        'x-amzn-requestid': '00000000-0000-0000-0000-000000000000',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    knownAccessKeyId,
    targets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
