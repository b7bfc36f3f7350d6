import type { MountProcedure } from './types.js';

/** RFC 1813 Appendix I MOUNTPROC3_NULL. */
export const mountNull: MountProcedure = async () => 'success';
