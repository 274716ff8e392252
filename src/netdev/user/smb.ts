/**
 * `smb=`: the configuration QEMU generates for Samba's smbd (net/slirp.c
 * slirp_smb), as text, so the host only has to write it and spawn smbd in
 * inetd mode on each guest connection.
 */
export interface SmbConfigParams {
  /** Private directory holding the config, logs, locks. */
  dir: string;
  /** The shared directory. */
  share: string;
  /** The user smbd forces (the one running it). */
  user: string;
}

export function smbConfig(p: SmbConfigParams): string {
  return [
    '[global]',
    'private dir=' + p.dir,
    'interfaces=127.0.0.1',
    'bind interfaces only=yes',
    'pid directory=' + p.dir,
    'lock directory=' + p.dir,
    'state directory=' + p.dir,
    'cache directory=' + p.dir,
    'ncalrpc dir=' + p.dir + '/ncalrpc',
    'log file=' + p.dir + '/log.smbd',
    'smb passwd file=' + p.dir + '/smbpasswd',
    'security = user',
    'map to guest = Bad User',
    'load printers = no',
    'printing = bsd',
    'disable spoolss = yes',
    'usershare max shares = 0',
    '[qemu]',
    'path=' + p.share,
    'read only=no',
    'guest ok=yes',
    'force user=' + p.user,
    '',
  ].join('\n');
}
