/** nicemu's version (kept equal to package.json by a test). */
export const VERSION = '0.1.0';

/** The QEMU release whose behaviour the qtest machine and QMP follow. */
export const QEMU_COMPAT = { major: 7, minor: 2, micro: 0 } as const;
