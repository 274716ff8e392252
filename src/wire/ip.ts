/** IP protocol / IPv6 next-header numbers (IANA "Assigned Internet Protocol Numbers"). */
export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DEST_OPTS: 60,
} as const;
