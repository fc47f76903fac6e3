import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

let cached: { caPem: string; certPem: string; keyPem: string } | undefined;

/** A throwaway self-signed certificate and key, for configs that must hold valid PEM. */
export function testPki(): { caPem: string; certPem: string; keyPem: string } {
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: 'tributary-test' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  cached = { caPem: certPem, certPem, keyPem };
  return cached;
}
