export * from './error.js';
export * from './dns.js';
export * from './dhcp.js';
export * from './tftp.js';
export * from './dhcpv6.js';
