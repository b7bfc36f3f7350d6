import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

describe('share block-store and durability configuration', () => {
  it('reads an S3-backed share with its durability mode and a per-share default prefix', () => {
    const c = parseConfig(
      {
        shares: [
          {
            name: '/data',
            durability: 'remote',
            blocks: {
              type: 's3',
              chunkSize: 262144,
              localBudgetBytes: 1073741824,
              s3: { bucket: 'b', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true },
            },
          },
        ],
      },
      { dataDir: '/tmp/dfs-t' },
    );
    expect(c.shares[0].durability).toBe('remote');
    expect(c.shares[0].blocks).toEqual({
      type: 's3',
      path: '/tmp/dfs-t/blocks/data',
      chunkSize: 262144,
      localBudgetBytes: 1073741824,
      s3: { bucket: 'b', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, prefix: 'data/' },
    });
  });

  it('reads a local tiered share; durability stays unset (local-durable) unless given', () => {
    const c = parseConfig({ shares: [{ name: '/t', blocks: 'tiered' }] }, { dataDir: '/tmp/dfs-t' });
    expect(c.shares[0].blocks).toEqual({ type: 'tiered', path: '/tmp/dfs-t/blocks/t', chunkSize: 1048576 });
    expect(c.shares[0].durability).toBeUndefined();
  });

  it('rejects modes a store cannot honour and incomplete S3 settings, naming the key', () => {
    expect(() => parseConfig({ shares: [{ name: '/a', durability: 'remote', blocks: 'tiered' }] })).toThrowError(
      /^shares\[0\]\.durability: remote needs/,
    );
    expect(() => parseConfig({ shares: [{ name: '/a', durability: 'writeback' }] })).toThrowError(
      /^shares\[0\]\.durability: writeback needs/,
    );
    expect(() => parseConfig({ shares: [{ name: '/a', durability: 'sometimes' }] })).toThrowError(
      /^shares\[0\]\.durability: must be one of/,
    );
    expect(() => parseConfig({ shares: [{ name: '/a', blocks: { type: 's3' } }] })).toThrowError(
      /^shares\[0\]\.blocks\.s3:/,
    );
    expect(() =>
      parseConfig({ shares: [{ name: '/a', blocks: { type: 's3', s3: { bucket: 'b', accessKeyId: 'k' } } }] }),
    ).toThrowError(/both accessKeyId and secretAccessKey/);
  });
});

describe('chunk stores and metadata', () => {
  it('refuses a tiered or s3 share on memory metadata (content ids would be reissued over old chunks)', () => {
    expect(() => parseConfig({ shares: [{ name: '/m', metadata: 'memory', blocks: 'tiered' }] })).toThrowError(
      /^shares\[0\]\.blocks\.type: tiered needs persistent metadata/,
    );
  });
});
