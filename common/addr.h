/*
 * addr.h - IPv4/IPv6 addresses and prefixes: parse, format, mask, compare.
 *
 * struct addr holds an address in network byte order in the first 4 (IPv4)
 * or 16 (IPv6) bytes of `b`; the unused bytes are always zero so that
 * memcmp() of two struct addr of the same family is a valid equality test.
 * Pure module: no I/O, no allocation.
 */
#ifndef OVPN_ADDR_H
#define OVPN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr {
	uint8_t family;   /* AF_INET or AF_INET6; 0 = unset */
	uint8_t b[16];
};

struct prefix {
	struct addr a;
	uint8_t len;      /* 0..32 or 0..128 */
};

enum {
	ADDR_STR_MAX = 46,     /* INET6_ADDRSTRLEN */
	PREFIX_STR_MAX = 50,   /* address + "/128" */
	SOCKADDR_STR_MAX = 56, /* "[v6]:65535" */
};

/* Dotted quad or IPv6 text; no prefix length. ERR_MALFORMED otherwise. */
int addr_parse(const char *s, struct addr *out);
/* "net/len" (host bits must be zero unless allow_host_bits) */
int prefix_parse(const char *s, bool allow_host_bits, struct prefix *out);
/* IPv4 dotted netmask ("255.255.255.0") to a length; ERR_MALFORMED if not contiguous. */
int addr_netmask_len(const struct addr *mask, uint8_t *len);
/* IPv4 netmask for a length (0..32). */
void addr_netmask_from_len(uint8_t len, struct addr *out);
int addr_format(const struct addr *a, char *out, size_t cap);
int prefix_format(const struct prefix *p, char *out, size_t cap);

bool addr_eq(const struct addr *a, const struct addr *b);
/* Zero the host bits of p. */
void prefix_canon(struct prefix *p);
bool prefix_contains(const struct prefix *p, const struct addr *a);
/* Same family, length and address (compare canonical prefixes). */
bool prefix_eq(const struct prefix *a, const struct prefix *b);
/* Max prefix length for the family: 32 or 128. */
uint8_t addr_bits(const struct addr *a);

/* IPv4 helpers with host-order integers, for pool arithmetic. */
uint32_t addr_v4(const struct addr *a);
void addr_from_v4(uint32_t host_order, struct addr *out);
/* IPv6: add a host-order offset to the low 64 bits (pool arithmetic). */
void addr_v6_add(const struct addr *base, uint64_t offset, struct addr *out);

/* Socket addresses (the outer transport). */
int addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct addr *out, uint16_t *port);
/* "192.0.2.2:1194" or "[2001:db8::2]:1194" */
int sockaddr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t cap);
bool sockaddr_eq(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b, socklen_t blen);

#endif
