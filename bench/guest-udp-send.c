/*
 * A UDP blaster for the i386 Linux guest of `npm run bench:guest`: sends
 * datagrams of one size to one address through an ordinary socket for a
 * number of seconds, then prints how many it sent. Busybox has no such tool
 * and the guest has no libc, so this is freestanding: raw i386 system calls
 * (int 0x80), no headers, no startup files.
 *
 *   gcc -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -O2 -o udp-send guest-udp-send.c
 *   udp-send A.B.C.D PORT PAYLOAD_BYTES SECONDS
 *   udp-send -l PORT SECONDS
 *
 * Prints "udp-send: sent N errors E ms T". With -l it binds PORT and holds
 * the socket for SECONDS without reading: datagrams injected to that port
 * end at the full socket buffer instead of making the kernel answer each
 * one with an ICMP port unreachable (which would dominate the guest's work).
 */

typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
enum { SYS_exit = 1, SYS_write = 4, SYS_nanosleep = 162, SYS_clock_gettime = 265, SYS_socket = 359, SYS_bind = 361, SYS_connect = 362 };

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

static int listen_only(char **argv) {
  unsigned long port, secs;
  if (parse_u(argv[2], &port) || parse_u(argv[3], &secs) || port == 0 || port > 65535) {
    out("usage: udp-send -l PORT SECONDS\n");
    return 2;
  }
  long fd = sys3(SYS_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  struct sockaddr_in4 sa = { 2, be16(port), 0, { 0 } };
  if (fd < 0 || sys3(SYS_bind, fd, (long)&sa, sizeof sa) < 0) {
    out("udp-send: bind failed\n");
    return 1;
  }
  out("udp-send: listening\n");
  struct timespec32 t = { (long)secs, 0 };
  sys3(SYS_nanosleep, (long)&t, 0, 0);
  return 0;
}

int main(int argc, char **argv) {
  unsigned long port, size, secs;
  u32 ip;
  if (argc == 4 && argv[1][0] == '-' && argv[1][1] == 'l' && !argv[1][2]) return listen_only(argv);
  if (argc != 5 || parse_ip(argv[1], &ip) || parse_u(argv[2], &port) || parse_u(argv[3], &size) || parse_u(argv[4], &secs) ||
      port == 0 || port > 65535 || size > sizeof payload) {
    out("usage: udp-send A.B.C.D PORT PAYLOAD_BYTES SECONDS\n");
    return 2;
  }
  long fd = sys3(SYS_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  if (fd < 0) {
    out("udp-send: socket failed\n");
    return 1;
  }
  struct sockaddr_in4 sa = { 2, be16(port), ip, { 0 } };
  if (sys3(SYS_connect, fd, (long)&sa, sizeof sa) < 0) {
    out("udp-send: connect failed\n");
    return 1;
  }
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
  char b1[24], b2[24], b3[24];
  out("udp-send: sent ");
  out(utoa(sent, b1 + sizeof b1));
  out(" errors ");
  out(utoa(errors, b2 + sizeof b2));
  out(" ms ");
  out(utoa((unsigned long)(t - t0), b3 + sizeof b3));
  out("\n");
  return 0;
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
