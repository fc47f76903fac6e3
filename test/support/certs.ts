import forge from 'node-forge';

/**
 * Test certificates, made once per test process: a CA, a server certificate
 * it signed for localhost / 127.0.0.1, a client certificate it signed, and an
 * unrelated self-signed CA for the "untrusted" cases. All PEM.
 */
export interface TestCertificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: trusting it alone must fail verification. */
  readonly otherCa: string;
}

interface Issued {
  readonly cert: forge.pki.Certificate;
  readonly keys: forge.pki.rsa.KeyPair;
}

let cached: TestCertificates | undefined;

export function certificates(): TestCertificates {
  cached ??= generate();
  return cached;
}

function generate(): TestCertificates {
  const ca = issue({ commonName: 'Tributary Test CA', isCa: true });
  const server = issue({ commonName: 'localhost', issuer: ca, usage: 'serverAuth', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] });
  const client = issue({ commonName: 'tributary-test-client', issuer: ca, usage: 'clientAuth' });
  const other = issue({ commonName: 'Unrelated Test CA', isCa: true });
  const pem = (issued: Issued) => forge.pki.certificateToPem(issued.cert);
  const key = (issued: Issued) => forge.pki.privateKeyToPem(issued.keys.privateKey);
  return { ca: pem(ca), serverCert: pem(server), serverKey: key(server), clientCert: pem(client), clientKey: key(client), otherCa: pem(other) };
}

interface IssueOptions {
  readonly commonName: string;
  /** Self-signed when absent. */
  readonly issuer?: Issued;
  readonly isCa?: boolean;
  readonly usage?: 'serverAuth' | 'clientAuth';
  readonly altNames?: readonly object[];
}

let serial = 1;

function issue(options: IssueOptions): Issued {
  // forge uses Node's native key generation when it is available, so this takes milliseconds.
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 60 * 60 * 1000);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: options.isCa === true }];
  if (options.isCa) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  else extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true });
  if (options.usage) extensions.push({ name: 'extKeyUsage', [options.usage]: true });
  if (options.altNames) extensions.push({ name: 'subjectAltName', altNames: options.altNames });
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(options.issuer ? options.issuer.keys.privateKey : keys.privateKey, forge.md.sha256.create());
  return { cert, keys };
}
