/*
 * nicemu ping helper: ICMP echo on behalf of the user-mode stack, which runs
 * in Node (no ICMP sockets there).
 *
 * Per family it opens an unprivileged ICMP datagram socket (Linux "ping
 * sockets", allowed when net.ipv4.ping_group_range covers our group) or,
 * failing that, a raw ICMP socket (needs CAP_NET_RAW), or none. The first
 * line on stdout says which: "ready v4=dgram|raw|none v6=dgram|raw|none".
 *
 * Requests on stdin, one per line:   ID FAMILY ADDRESS TTL HEXPAYLOAD
 * Answers on stdout, one per line:   ID ok RTT_MICROSECONDS
 *                                    ID err REASON
 * Replies are matched by sequence number (and, on raw sockets, by our
 * identifier); a request with no reply gets no answer (the caller times out).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 1024
#define MAX_PAYLOAD 65000

struct pending {
  int used;
  unsigned long id;
  int family;
  struct timespec sent;
};

static struct pending slots[SLOTS];
static uint16_t next_seq = 1;
static uint16_t raw_ident;

struct fam {
  int fd;
  int raw;
};

static struct fam v4 = {-1, 0}, v6 = {-1, 0};

static void open_family(struct fam *f, int domain, int proto) {
  f->fd = socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (f->fd >= 0) return;
  f->fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (f->fd >= 0) f->raw = 1;
}

static const char *kind(const struct fam *f) { return f->fd < 0 ? "none" : f->raw ? "raw" : "dgram"; }

static uint16_t checksum(const uint8_t *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void answer_err(unsigned long id, const char *why) {
  printf("%lu err %s\n", id, why);
  fflush(stdout);
}

static void send_request(char *line) {
  unsigned long id;
  int family, ttl;
  char addr[64];
  char *hex = NULL;
  if (sscanf(line, "%lu %d %63s %d %ms", &id, &family, addr, &ttl, &hex) < 4) return;
  static uint8_t pkt[8 + MAX_PAYLOAD];
  size_t n = 0;
  if (hex) {
    for (char *h = hex; h[0] && h[1] && n < MAX_PAYLOAD; h += 2) {
      int a = hexval(h[0]), b = hexval(h[1]);
      if (a < 0 || b < 0) break;
      pkt[8 + n++] = (uint8_t)(a << 4 | b);
    }
    free(hex);
  }
  struct fam *f = family == 6 ? &v6 : &v4;
  if (f->fd < 0) return answer_err(id, "unsupported");
  uint16_t seq = next_seq++;
  if (next_seq == 0) next_seq = 1;
  pkt[0] = family == 6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  pkt[1] = 0;
  pkt[2] = pkt[3] = 0;
  pkt[4] = raw_ident >> 8;
  pkt[5] = raw_ident & 0xff;
  pkt[6] = seq >> 8;
  pkt[7] = seq & 0xff;
  if (family == 4 && f->raw) {
    uint16_t c = checksum(pkt, 8 + n);
    pkt[2] = c >> 8;
    pkt[3] = c & 0xff;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) return answer_err(id, "bad-address");
    sl = sizeof *s6;
    if (ttl > 0) setsockopt(f->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) return answer_err(id, "bad-address");
    sl = sizeof *s4;
    if (ttl > 0) setsockopt(f->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  }
  struct pending *p = &slots[seq % SLOTS];
  p->used = 1;
  p->id = id;
  p->family = family;
  clock_gettime(CLOCK_MONOTONIC, &p->sent);
  if (sendto(f->fd, pkt, 8 + n, 0, (struct sockaddr *)&ss, sl) < 0) {
    p->used = 0;
    answer_err(id, errno == ENETUNREACH || errno == EHOSTUNREACH ? "unreachable" : errno == EACCES || errno == EPERM ? "refused" : "send-failed");
  }
}

static void read_replies(struct fam *f, int family) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = recv(f->fd, buf, sizeof buf, 0);
    if (r < 0) return;
    const uint8_t *icmp = buf;
    ssize_t len = r;
    if (family == 4 && f->raw) {
      size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
      if (r < (ssize_t)ihl + 8) continue;
      icmp = buf + ihl;
      len = r - (ssize_t)ihl;
    }
    if (len < 8) continue;
    if (icmp[0] != (family == 6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) continue;
    uint16_t ident = (uint16_t)(icmp[4] << 8 | icmp[5]);
    uint16_t seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
    if (f->raw && ident != raw_ident) continue;
    struct pending *p = &slots[seq % SLOTS];
    if (!p->used || p->family != family) continue;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long us = (now.tv_sec - p->sent.tv_sec) * 1000000L + (now.tv_nsec - p->sent.tv_nsec) / 1000;
    printf("%lu ok %ld\n", p->id, us);
    fflush(stdout);
    p->used = 0;
  }
}

int main(void) {
  raw_ident = (uint16_t)(getpid() & 0xffff);
  open_family(&v4, AF_INET, IPPROTO_ICMP);
  open_family(&v6, AF_INET6, IPPROTO_ICMPV6);
  printf("ready v4=%s v6=%s\n", kind(&v4), kind(&v6));
  fflush(stdout);
  static char line[2 * MAX_PAYLOAD + 128];
  size_t have = 0;
  for (;;) {
    struct pollfd pf[3] = {{0, POLLIN, 0}, {v4.fd, POLLIN, 0}, {v6.fd, POLLIN, 0}};
    if (poll(pf, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pf[1].revents & POLLIN) read_replies(&v4, 4);
    if (pf[2].revents & POLLIN) read_replies(&v6, 6);
    if (pf[0].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(0, line + have, sizeof line - 1 - have);
      if (r <= 0) return 0;
      have += (size_t)r;
      for (;;) {
        char *nl = memchr(line, '\n', have);
        if (!nl) break;
        *nl = 0;
        send_request(line);
        size_t used = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, have - used);
        have -= used;
      }
      if (have == sizeof line - 1) have = 0; /* an overlong line: drop it */
    }
  }
}
