/**
 * Errors thrown at the public API boundary. Inside the core, failures are
 * discriminated unions (`{ kind: ... }`) returned as values; these classes
 * wrap them when a caller of the library did something wrong.
 */
export class NicemuError extends Error {
  override readonly name: string = 'NicemuError';
}

/** A user-supplied option (QEMU option string, API argument) is invalid. */
export class OptionError extends NicemuError {
  override readonly name = 'OptionError';
}

/** A backend, device or option that is parsed but not implemented yet. */
export class NotSupportedError extends NicemuError {
  override readonly name = 'NotSupportedError';
  constructor(what: string) {
    super(`${what}: not supported yet`);
  }
}

/** Saved state that cannot be restored (wrong name, version, field or value). */
export class StateError extends NicemuError {
  override readonly name = 'StateError';
}

/** Guest memory access outside every RAM region, raised only by the throwing helpers. */
export class GuestMemoryError extends NicemuError {
  override readonly name = 'GuestMemoryError';
}
