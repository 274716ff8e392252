/*
 * Frame relay shared by nicemu's native helpers: frames move between a
 * packet source (a TAP fd, a VDE connection) and stdin/stdout, each preceded
 * on the pipe by its length as a 32-bit big-endian integer.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NICEMU_RELAY_H
#define NICEMU_RELAY_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/types.h>

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


typedef ssize_t (*packet_read_fn)(void *ctx, unsigned char *buf, size_t len);
typedef ssize_t (*packet_write_fn)(void *ctx, const unsigned char *buf, size_t len);

/*
 * Relay until stdin closes (returns 0) or the packet side fails (returns 1).
 * A frame the packet side refuses with EIO/EINVAL/EAGAIN/ENOBUFS is dropped,
 * as a NIC would drop it.
 */
static int relay_frames(int packet_fd, void *ctx, packet_read_fn rd, packet_write_fn wr)
{
    static unsigned char buf[MAX_FRAME + 4];
    struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = packet_fd, .events = POLLIN } };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            if (read_all(0, buf, 4) != 0) return 0;
            uint32_t len = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
            if (len > MAX_FRAME) {
                fprintf(stderr, "error=frame of %u bytes from the emulator is too large\n", len);
                return 1;
            }
            if (read_all(0, buf, len) != 0) return 0;
            if (wr(ctx, buf, len) < 0 && errno != EIO && errno != EINVAL && errno != EAGAIN && errno != ENOBUFS) return 1;
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = rd(ctx, buf + 4, MAX_FRAME);
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
        if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) return 1;
    }
}

#endif
