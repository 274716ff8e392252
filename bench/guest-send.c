/*
 * A traffic source for the i386 Linux guest of `npm run bench:guest`, sending
 * through ordinary sockets. Busybox has no such tool and the guest has no
 * libc, so this is freestanding: raw i386 system calls (int 0x80), no
 * headers, no startup files.
 *
 *   gcc -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -O2 -o net-send guest-send.c
 *   net-send udp A.B.C.D PORT PAYLOAD_BYTES SECONDS
 *   net-send tcp A.B.C.D PORT SECONDS
 *   net-send hold PORT SECONDS
 *
 * udp: datagrams of one size to one address for SECONDS.
 * tcp: one connection, 64 KiB write() calls from one buffer for SECONDS (a
 *   bulk sender as netperf's TCP_STREAM: the kernel copies from user memory,
 *   segments, and hands the NIC what its offloads take), then closes.
 * Both print "net-send: sent N errors E ms T" (N datagrams or bytes).
 * hold: binds UDP PORT and holds the socket for SECONDS without reading:
 *   datagrams injected to that port end at the full socket buffer instead of
 *   making the kernel answer each one with an ICMP port unreachable (which
 *   would dominate the guest's work).
 */

typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
enum { SYS_exit = 1, SYS_write = 4, SYS_close = 6, SYS_nanosleep = 162, SYS_clock_gettime = 265, SYS_socket = 359, SYS_bind = 361, SYS_connect = 362 };

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

struct timespec32 { long sec; long nsec; };
struct sockaddr_in4 { u16 family; u16 port; u32 addr; u8 zero[8]; };

static void out(const char *s) {
  long n = 0;
  while (s[n]) n++;
  sys3(SYS_write, 1, (long)s, n);
}

static char *utoa(unsigned long v, char *end) {
  *--end = 0;
  do *--end = (char)('0' + v % 10); while ((v /= 10) != 0);
  return end;
}

static int parse_u(const char *s, unsigned long *v) {
  unsigned long x = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    x = x * 10 + (unsigned long)(*s - '0');
  }
  *v = x;
  return 0;
}

static int parse_ip(const char *s, u32 *ip) {
  u32 v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned long part = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') part = part * 10 + (unsigned long)(*s++ - '0'), digits++;
    if (!digits || part > 255 || (i < 3 && *s++ != '.')) return -1;
    v |= (u32)part << (8 * i); /* network order in memory */
  }
  *ip = v;
  return *s ? -1 : 0;
}

static long now_ms(void) {
  struct timespec32 t;
  sys3(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, (long)&t, 0);
  return t.sec * 1000 + t.nsec / 1000000;
}

static u8 payload[65536];

static u16 be16(unsigned long port) {
  return (u16)((port >> 8) | ((port & 0xff) << 8));
}

static void report(unsigned long sent, unsigned long errors, long ms) {
  char b1[24], b2[24], b3[24];
  out("net-send: sent ");
  out(utoa(sent, b1 + sizeof b1));
  out(" errors ");
  out(utoa(errors, b2 + sizeof b2));
  out(" ms ");
  out(utoa((unsigned long)ms, b3 + sizeof b3));
  out("\n");
}

static int usage(void) {
  out("usage: net-send udp A.B.C.D PORT PAYLOAD_BYTES SECONDS | tcp A.B.C.D PORT SECONDS | hold PORT SECONDS\n");
  return 2;
}

static int is(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* A socket of `type` connected to ip:port, or -1 (after saying why). */
static long connected(long type, u32 ip, unsigned long port) {
  long fd = sys3(SYS_socket, 2 /* AF_INET */, type, 0);
  if (fd < 0) {
    out("net-send: socket failed\n");
    return -1;
  }
  struct sockaddr_in4 sa = { 2, be16(port), ip, { 0 } };
  if (sys3(SYS_connect, fd, (long)&sa, sizeof sa) < 0) {
    out("net-send: connect failed\n");
    return -1;
  }
  return fd;
}

static int hold(unsigned long port, unsigned long secs) {
  long fd = sys3(SYS_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  struct sockaddr_in4 sa = { 2, be16(port), 0, { 0 } };
  if (fd < 0 || sys3(SYS_bind, fd, (long)&sa, sizeof sa) < 0) {
    out("net-send: bind failed\n");
    return 1;
  }
  out("net-send: holding\n");
  struct timespec32 t = { (long)secs, 0 };
  sys3(SYS_nanosleep, (long)&t, 0, 0);
  return 0;
}

static int udp(u32 ip, unsigned long port, unsigned long size, unsigned long secs) {
  long fd = connected(2 /* SOCK_DGRAM */, ip, port);
  if (fd < 0) return 1;
  for (unsigned long i = 0; i < size; i++) payload[i] = (u8)i;
  unsigned long sent = 0, errors = 0;
  long t0 = now_ms(), t = t0, limit = (long)secs * 1000;
  while (t - t0 < limit) {
    for (int i = 0; i < 256; i++) {
      if (sys3(SYS_write, fd, (long)payload, (long)size) < 0) errors++;
      else sent++;
    }
    t = now_ms();
  }
  report(sent, errors, t - t0);
  return 0;
}

static int tcp(u32 ip, unsigned long port, unsigned long secs) {
  long fd = connected(1 /* SOCK_STREAM */, ip, port);
  if (fd < 0) return 1;
  for (unsigned long i = 0; i < sizeof payload; i++) payload[i] = (u8)i;
  unsigned long sent = 0, errors = 0;
  long t0 = now_ms(), t = t0, limit = (long)secs * 1000;
  while (t - t0 < limit) {
    long n = sys3(SYS_write, fd, (long)payload, (long)sizeof payload);
    if (n < 0) {
      errors++;
      break;
    }
    sent += (unsigned long)n;
    t = now_ms();
  }
  sys3(SYS_close, fd, 0, 0);
  report(sent, errors, t - t0);
  return errors ? 1 : 0;
}

int main(int argc, char **argv) {
  unsigned long port, size, secs;
  u32 ip;
  if (argc == 4 && is(argv[1], "hold")) {
    if (parse_u(argv[2], &port) || parse_u(argv[3], &secs) || port == 0 || port > 65535) return usage();
    return hold(port, secs);
  }
  if (argc == 6 && is(argv[1], "udp")) {
    if (parse_ip(argv[2], &ip) || parse_u(argv[3], &port) || parse_u(argv[4], &size) || parse_u(argv[5], &secs) ||
        port == 0 || port > 65535 || size > sizeof payload)
      return usage();
    return udp(ip, port, size, secs);
  }
  if (argc == 5 && is(argv[1], "tcp")) {
    if (parse_ip(argv[2], &ip) || parse_u(argv[3], &port) || parse_u(argv[4], &secs) || port == 0 || port > 65535) return usage();
    return tcp(ip, port, secs);
  }
  return usage();
}

/* Entry point: the kernel leaves argc at (%esp) and argv right above it. */
__asm__(".globl _start\n"
        "_start:\n"
        "  xorl %ebp, %ebp\n"
        "  movl (%esp), %eax\n"
        "  leal 4(%esp), %ecx\n"
        "  andl $-16, %esp\n"
        "  pushl %ecx\n"
        "  pushl %eax\n"
        "  call main\n"
        "  movl %eax, %ebx\n"
        "  movl $1, %eax\n"
        "  int $0x80\n");
