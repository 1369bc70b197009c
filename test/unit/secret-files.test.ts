/** Secrets from files (`NAME_FILE`, as Docker and Kubernetes mount them): withSecretFiles in src/config.ts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SECRET_VARIABLES, withSecretFiles } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'secret-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `content` to a file of the temp directory and returns its path. */
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const problems = (env: Record<string, string>): string[] => {
  try {
    withSecretFiles(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('withSecretFiles', () => {
  it('reads every secret variable from NAME_FILE, dropping one trailing newline', () => {
    const env = Object.fromEntries(SECRET_VARIABLES.map((name) => [`${name}_FILE`, file(name, `${name}-value\n`)]));
    const resolved = withSecretFiles(env);
    for (const name of SECRET_VARIABLES) expect(resolved[name]).toBe(`${name}-value`);
    expect(SECRET_VARIABLES).toEqual(
      expect.arrayContaining([
        'MONO_WEBHOOK_SECRET',
        'MONO_SECRET_KEY',
        'ADMIN_TOKEN',
        'REAUTH_LINK_SECRET',
        'DELIVERY_KEY_SECRET',
        'TEMPORAL_CODEC_KEYS',
        'NOTIFY_WEBHOOK_SECRET',
        'OPERATOR_WEBHOOK_SECRET',
        'SMTP_URL',
        'TEMPORAL_API_KEY',
      ])
    );
  });

  it('drops one trailing newline only (CRLF included) and keeps the rest of the content as it is', () => {
    const read = (content: string) => withSecretFiles({ ADMIN_TOKEN_FILE: file('t', content) }).ADMIN_TOKEN;
    expect(read('token')).toBe('token');
    expect(read('token\r\n')).toBe('token');
    expect(read('token\n\n')).toBe('token\n');
    expect(read('  token  \n')).toBe('  token  ');
  });

  it('leaves the environment as it is when no NAME_FILE is set, and takes an empty NAME_FILE as unset', () => {
    const env = { ADMIN_TOKEN: 'direct', PORT: '3000', ADMIN_TOKEN_FILE: '' };
    expect(withSecretFiles(env)).toEqual(env);
    expect(withSecretFiles(env)).not.toBe(env);
  });

  it('refuses a secret set both ways, a file it cannot read and an empty file, never showing content', () => {
    const path = file('both', 'from-the-file\n');
    const found = problems({
      ADMIN_TOKEN: 'direct',
      ADMIN_TOKEN_FILE: path,
      MONO_SECRET_KEY_FILE: join(dir, 'missing'),
      SMTP_URL_FILE: file('empty', '\n'),
    });
    expect(found).toEqual([
      'MONO_SECRET_KEY_FILE: cannot read ' +
        join(dir, 'missing') +
        ' (ENOENT); point it at a file this process can read',
      'ADMIN_TOKEN and ADMIN_TOKEN_FILE are both set: keep one',
      `SMTP_URL_FILE: ${join(dir, 'empty')} is empty`,
    ]);
    expect(found.join('\n')).not.toContain('from-the-file');
  });

  it('reads through the reader it is given, so that loadConfig sees the secrets', () => {
    const files: Record<string, string> = { '/run/secrets/admin': 'Qm7rT2vX9kL4pZ8wN3cF6hJ1sD5gB0aE\n' };
    const env = withSecretFiles({ ADMIN_TOKEN_FILE: '/run/secrets/admin' }, (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return content;
    });
    expect(loadConfig(env).adminToken).toBe('Qm7rT2vX9kL4pZ8wN3cF6hJ1sD5gB0aE');
    expect(loadConfig(env).devDefaults).not.toContain('ADMIN_TOKEN');
  });
});
