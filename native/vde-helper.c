/*
 * nicemu VDE helper: plugs into a VDE switch through libvdeplug and relays
 * its frames over stdin/stdout with nicemu's length-prefixed framing (see
 * relay.h). Node cannot use the switch's Unix datagram sockets itself.
 *
 *   nicemu-vde-helper SOCK PORT GROUP MODE
 *
 * SOCK is the switch (a path or a vdeplug URL; "" = the default switch),
 * PORT the switch port (0 = any), GROUP the group owning the port ("" =
 * unchanged), MODE its octal permissions (0 = default). Prints "ready\n" on
 * stderr once connected. Built with -lvdeplug (Debian: libvdeplug-dev).
 *
 * SPDX-License-Identifier: MIT
 */
#include <libvdeplug.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "relay.h"

static ssize_t vde_read(void *ctx, unsigned char *buf, size_t len)
{
    return vde_recv((VDECONN *)ctx, buf, len, 0);
}

static ssize_t vde_write(void *ctx, const unsigned char *buf, size_t len)
{
    return vde_send((VDECONN *)ctx, buf, len, 0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s SOCK PORT GROUP MODE\n", argv[0]);
        return 2;
    }
    struct vde_open_args args = {
        .port = atoi(argv[2]),
        .group = argv[3][0] ? argv[3] : NULL,
        .mode = (mode_t)strtoul(argv[4], NULL, 8),
    };
    VDECONN *conn = vde_open(argv[1][0] ? argv[1] : NULL, "nicemu", &args);
    if (!conn) {
        fprintf(stderr, "error=Could not open vde: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr, "ready\n");
    fflush(stderr);
    int r = relay_frames(vde_datafd(conn), conn, vde_read, vde_write);
    vde_close(conn);
    return r;
}
