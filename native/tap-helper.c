/*
 * nicemu tap helper: opens a Linux TAP interface and relays its frames over
 * stdin/stdout, each frame preceded by its length as a 32-bit big-endian
 * integer (the framing of QEMU's stream netdevs). Node cannot issue the
 * TUNSETIFF ioctl itself; this program does that one thing and the copy loop.
 *
 *   nicemu-tap-helper [-v] IFNAME [BRIDGE]
 *
 * -v: open the interface with IFF_VNET_HDR: every frame, both ways, starts
 * with a 12-byte virtio-net header (TUNSETVNETHDRSZ), and the kernel may
 * send partial checksums and TCP segments of up to 64 KiB (TUNSETOFFLOAD
 * with TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6).
 *
 * IFNAME may contain "%d" (the kernel picks the number). With BRIDGE the
 * interface is brought up and added to that bridge (as a bridge helper does).
 * The chosen interface name is written to stderr as "ifname=NAME\n" before
 * any frame is relayed. Exits when stdin closes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"

static ssize_t tap_read(void *ctx, unsigned char *buf, size_t len)
{
    return read(*(int *)ctx, buf, len);
}

static ssize_t tap_write(void *ctx, const unsigned char *buf, size_t len)
{
    return write(*(int *)ctx, buf, len);
}

static int if_up_and_bridge(const char *ifname, const char *bridge)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) goto fail;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto fail;
    if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) goto fail;
    int index = ifr.ifr_ifindex;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
    ifr.ifr_ifindex = index;
    if (ioctl(s, SIOCBRADDIF, &ifr) < 0) goto fail;
    close(s);
    return 0;
fail:
    close(s);
    return -1;
}

int main(int argc, char **argv)
{
    int vnet = argc > 1 && strcmp(argv[1], "-v") == 0;
    if (vnet) {
        argv++;
        argc--;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s [-v] IFNAME [BRIDGE]\n", argv[0]);
        return 2;
    }
    int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tap < 0) {
        fprintf(stderr, "error=could not open /dev/net/tun: %s\n", strerror(errno));
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
    if (ioctl(tap, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "error=could not configure /dev/net/tun (%s): %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (vnet) {
        int len = 12;
        if (ioctl(tap, TUNSETVNETHDRSZ, &len) < 0) {
            fprintf(stderr, "error=vnet_hdr=on requested, but the kernel refused TUNSETVNETHDRSZ: %s\n", strerror(errno));
            return 1;
        }
        /* The header in little-endian order, as virtio 1.0 has it, whatever the host's order (kernels before 4.7 lack the call: little-endian hosts only then). */
        int le = 1;
        (void)ioctl(tap, TUNSETVNETLE, &le);
        if (ioctl(tap, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0 &&
            ioctl(tap, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0) {
            fprintf(stderr, "error=vnet_hdr=on requested, but the kernel refused TUNSETOFFLOAD: %s\n", strerror(errno));
            return 1;
        }
    }
    if (argc == 3 && if_up_and_bridge(ifr.ifr_name, argv[2]) < 0) {
        fprintf(stderr, "error=failed to add interface '%s' to bridge '%s': %s\n", ifr.ifr_name, argv[2], strerror(errno));
        return 1;
    }
    fprintf(stderr, "ifname=%s\n", ifr.ifr_name);
    fflush(stderr);

    return relay_frames(tap, &tap, tap_read, tap_write);
}
