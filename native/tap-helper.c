/*
 * nicemu tap helper: opens a Linux TAP interface and relays its frames over
 * stdin/stdout, each frame preceded by its length as a 32-bit big-endian
 * integer (the framing of QEMU's stream netdevs). Node cannot issue the
 * TUNSETIFF ioctl itself; this program does that one thing and the copy loop.
 *
 *   nicemu-tap-helper IFNAME [BRIDGE]
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

#define MAX_FRAME 69632

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return 1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
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
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IFNAME [BRIDGE]\n", argv[0]);
        return 2;
    }
    int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tap < 0) {
        fprintf(stderr, "error=could not open /dev/net/tun: %s\n", strerror(errno));
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
    if (ioctl(tap, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "error=could not configure /dev/net/tun (%s): %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (argc == 3 && if_up_and_bridge(ifr.ifr_name, argv[2]) < 0) {
        fprintf(stderr, "error=failed to add interface '%s' to bridge '%s': %s\n", ifr.ifr_name, argv[2], strerror(errno));
        return 1;
    }
    fprintf(stderr, "ifname=%s\n", ifr.ifr_name);
    fflush(stderr);

    static unsigned char buf[MAX_FRAME + 4];
    struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = tap, .events = POLLIN } };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            int r = read_all(0, buf, 4);
            if (r != 0) return 0;
            uint32_t len = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
            if (len > MAX_FRAME) {
                fprintf(stderr, "error=frame of %u bytes from the emulator is too large\n", len);
                return 1;
            }
            if (read_all(0, buf, len) != 0) return 0;
            /* A frame the interface refuses (down, too large) is dropped, as a NIC would. */
            if (write(tap, buf, len) < 0 && errno != EIO && errno != EINVAL && errno != EAGAIN) return 1;
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = read(tap, buf + 4, MAX_FRAME);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return 1;
            }
            buf[0] = (unsigned char)(n >> 24);
            buf[1] = (unsigned char)(n >> 16);
            buf[2] = (unsigned char)(n >> 8);
            buf[3] = (unsigned char)n;
            if (write_all(1, buf, (size_t)n + 4) < 0) return 0;
        }
        if (fds[1].revents & (POLLERR | POLLHUP)) return 1;
    }
}
