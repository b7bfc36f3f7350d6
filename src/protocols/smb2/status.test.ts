import { describe, expect, it } from 'vitest';
import { FsError } from '../../core/errors.js';
import { FS_ERROR_TO_NTSTATUS, NtStatusError, Status, ntStatusOf } from './status.js';

describe('NTSTATUS mapping of core errors', () => {
  it('maps every core error to an error-severity NTSTATUS (0xC...)', () => {
    for (const [code, st] of Object.entries(FS_ERROR_TO_NTSTATUS)) {
      expect(st >>> 30, code).toBeGreaterThanOrEqual(2);
    }
  });

  it('uses the statuses Windows clients expect for the common cases', () => {
    expect(ntStatusOf(new FsError('NOENT'))).toBe(Status.OBJECT_NAME_NOT_FOUND);
    expect(ntStatusOf(new FsError('EXIST'))).toBe(Status.OBJECT_NAME_COLLISION);
    expect(ntStatusOf(new FsError('NOTEMPTY'))).toBe(Status.DIRECTORY_NOT_EMPTY);
    expect(ntStatusOf(new FsError('ACCES'))).toBe(Status.ACCESS_DENIED);
    expect(ntStatusOf(new FsError('ROFS'))).toBe(Status.MEDIA_WRITE_PROTECTED);
    expect(ntStatusOf(new NtStatusError(Status.END_OF_FILE))).toBe(Status.END_OF_FILE);
    expect(ntStatusOf(new Error('bug'))).toBeUndefined();
  });
});
