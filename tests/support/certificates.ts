import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Certificates for TLS tests, made with openssl in `dir`: a CA (ca.pem), a server certificate it
 * signed for localhost and 127.0.0.1 (server.pem, server.key), and an unrelated CA (other-ca.pem)
 * that a client must not accept the server with.
 */
export function makeTestCertificates(dir: string): { ca: string; otherCa: string; serverCert: string; serverKey: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=mlgym test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`);
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  );
  const file = (name: string) => path.join(dir, name);
  return { ca: file('ca.pem'), otherCa: file('other-ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key') };
}
