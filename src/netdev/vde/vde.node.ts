/**
 * `-netdev vde,sock=PATH,port=N,group=G,mode=OCTAL`: plugs into a VDE switch
 * (vde_switch, or any vdeplug URL) through libvdeplug, in a small helper
 * (native/vde-helper.c, built on first use; needs Debian's libvdeplug-dev).
 */
import type { VdeOptions } from '../../config/index.js';
import { HelperBackend, nativeHelperPath } from '../native.node.js';

export function vdeHelperPath(): string {
  return nativeHelperPath({ name: 'vde-helper', libs: ['-lvdeplug'], needs: 'libvdeplug-dev and a C compiler: apt-get install libvdeplug-dev gcc' });
}

export async function openVde(id: string, o: VdeOptions): Promise<HelperBackend> {
  const mode = o.mode ?? 0o700;
  return HelperBackend.start(id, vdeHelperPath(), [o.sock ?? '', String(o.port ?? 0), o.group ?? '', mode.toString(8)], /^(ready)$/m);
}
