/**
 * A TLS-terminating gRPC proxy in front of a Temporal server, for tests of secured connections on real parts:
 * nginx (Debian's package) as a child process with its own config in a temp folder, certificates made here by
 * openssl. Two modes, as Temporal Cloud offers them: mutual TLS (a client certificate signed by our CA is
 * required) and API key (`authorization: Bearer <key>` is required, over TLS).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA: well-formed, but not one the proxy trusts. */
  strangerCert: string;
  strangerKey: string;
  /** A CA that did not sign the server's certificate. */
  strangerCaCert: string;
}

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

/** A CA, a server certificate for localhost/127.0.0.1, a client certificate, and a stranger CA with its client. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'mono-reauth-tls-'));
  const ca = (name: string): void => {
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`
    );
  };
  const leaf = (name: string, caName: string, ext: string): void => {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`
    );
  };
  ca('test-ca');
  ca('stranger-ca');
  leaf('server', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const path = (file: string): string => join(dir, file);
  return {
    dir,
    caCert: path('test-ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
    strangerCert: path('stranger.crt'),
    strangerKey: path('stranger.key'),
    strangerCaCert: path('stranger-ca.crt'),
  };
}

export interface TlsProxy {
  /** `127.0.0.1:<port>` */
  address: string;
  stop(): Promise<void>;
}

export type ProxyMode = { kind: 'mtls' } | { kind: 'api-key'; apiKey: string };

export function nginxPath(): string | undefined {
  return ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
}

/** Starts nginx terminating TLS on a free loopback port and passing gRPC to `upstream` (host:port, plaintext). */
export async function startTlsProxy(upstream: string, certs: Certificates, mode: ProxyMode): Promise<TlsProxy> {
  const nginx = nginxPath();
  if (!nginx) throw new Error('nginx is not installed: apt-get install nginx (CI installs it)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mono-reauth-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const auth =
    mode.kind === 'mtls'
      ? `ssl_client_certificate ${certs.caCert};\n      ssl_verify_client on;`
      : `if ($http_authorization != "Bearer ${mode.apiKey}") { return 401; }`;
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp;
  proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${certs.serverCert};
    ssl_certificate_key ${certs.serverKey};
    ${mode.kind === 'mtls' ? auth : ''}
    location / {
      ${mode.kind === 'api-key' ? auth : ''}
      grpc_read_timeout 300s;
      grpc_send_timeout 300s;
      grpc_pass grpc://${upstream};
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`nginx exited at start:\n${safeRead(join(dir, 'error.log'))}`);
    if (existsSync(join(dir, 'nginx.pid')) && (await listening(port))) break;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}:\n${safeRead(join(dir, 'error.log'))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function listening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
