/** The default build id: the version and a digest of the workflow bundle's code, whatever folder built it. */
import { describe, expect, it } from 'vitest';
import { defaultBuildId, packageVersion } from '../../src/deployment/build-id.js';

const map = (path: string) =>
  `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify({ sources: [path] })).toString('base64')}`;

describe('defaultBuildId', () => {
  it('is the package version and 12 hex digits of the code', () => {
    const version = packageVersion().replaceAll('.', '\\.');
    expect(defaultBuildId(packageVersion(), 'code')).toMatch(new RegExp(`^${version}\\+[0-9a-f]{12}$`));
  });
  it('gives the same code built in two folders the same id', () => {
    expect(defaultBuildId('1.0.0', `code${map('/app/src/workflows/index.ts')}`)).toBe(
      defaultBuildId('1.0.0', `code${map('/home/ci/mono-reauth/src/workflows/index.ts')}`)
    );
  });
  it('gives changed code, or another version, another id', () => {
    expect(defaultBuildId('1.0.0', 'code')).not.toBe(defaultBuildId('1.0.0', 'code2'));
    expect(defaultBuildId('1.0.0', 'code')).not.toBe(defaultBuildId('1.0.1', 'code'));
  });
});
