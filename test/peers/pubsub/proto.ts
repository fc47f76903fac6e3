import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Google's own `pubsub.proto`, as shipped inside @google-cloud/pubsub, with
 * google-gax's copies of the google/api imports: the peer speaks exactly the
 * wire the SDK speaks.
 */
const require = createRequire(import.meta.url);
/** Both packages keep their protos under build/, beside the entry point (build/src/index.js). */
const buildDir = (name: string) => dirname(dirname(require.resolve(name)));

export interface PubSubServices {
  readonly Publisher: grpc.ServiceDefinition;
  readonly Subscriber: grpc.ServiceDefinition;
}

export function loadPubSubServices(): PubSubServices {
  const definition = protoLoader.loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [join(buildDir('@google-cloud/pubsub'), 'protos'), join(buildDir('google-gax'), 'protos')],
    // camelCase fields, as the SDK's own loader sees them; bytes as Buffers, longs as numbers.
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const v1 = (grpc.loadPackageDefinition(definition) as unknown as { google: { pubsub: { v1: Record<string, { service: grpc.ServiceDefinition }> } } }).google.pubsub.v1;
  const Publisher = v1.Publisher?.service;
  const Subscriber = v1.Subscriber?.service;
  if (!Publisher || !Subscriber) throw new Error('pubsub.proto has no Publisher or Subscriber service');
  return { Publisher, Subscriber };
}
