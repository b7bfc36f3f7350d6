import { describe, expect, it } from 'vitest';
import { MAX_MOUNT_RECORDS } from './constants.js';
import { MountTable } from './mount-table.js';

describe('MountTable', () => {
  it('records each (host, export) once and forgets on UMNT/UMNTALL', () => {
    const t = new MountTable();
    t.add('10.0.0.1', '/a');
    t.add('10.0.0.1', '/a');
    t.add('10.0.0.1', '/b');
    t.add('10.0.0.2', '/a');
    expect([...t.entries()]).toHaveLength(3);
    t.remove('10.0.0.1', '/a');
    t.removeHost('10.0.0.2');
    expect([...t.entries()]).toEqual([{ host: '10.0.0.1', dirpath: '/b' }]);
  });

  it('stops recording at its bound', () => {
    const t = new MountTable();
    for (let i = 0; i < MAX_MOUNT_RECORDS + 10; i++) t.add(`h${i}`, '/a');
    expect([...t.entries()]).toHaveLength(MAX_MOUNT_RECORDS);
  });
});
