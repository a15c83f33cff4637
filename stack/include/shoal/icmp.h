/* ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): echo, errors, rate limiting. */
#ifndef SHOAL_ICMP_H
#define SHOAL_ICMP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"

struct pbuf;
struct ip4_rx_info;

#define ICMP_HDR_LEN 8u
#define ICMP_ECHO_REPLY 0u
#define ICMP_DEST_UNREACH 3u
#define ICMP_ECHO 8u
#define ICMP_TIME_EXCEEDED 11u
#define ICMP_PARAM_PROBLEM 12u

#define ICMP_DUR_NET 0u
#define ICMP_DUR_HOST 1u
#define ICMP_DUR_PROTO 2u
#define ICMP_DUR_PORT 3u
#define ICMP_DUR_FRAG 4u

/* An ICMP message (IP header removed; info describes it). Takes p. */
void icmp_input(struct pbuf *p, const struct ip4_rx_info *info);

/*
 * Send a destination unreachable about a received packet: its IP header is
 * info->hdr, `orig` holds what followed the header. Follows RFC 1122 3.2.2: never
 * about an ICMP error, a broadcast or multicast, a non-initial fragment or a
 * packet from an invalid source; rate limited. orig stays the caller's.
 */
void icmp_dest_unreach(struct pbuf *orig, const struct ip4_rx_info *info, uint8_t code);

/* Any ICMP error (time exceeded, fragmentation needed with its next-hop
 * MTU in `word`, ...), with the same rules. */
void icmp_error(struct pbuf *orig, const struct ip4_rx_info *info, uint8_t type, uint8_t code, uint32_t word);

#define ICMP_TE_TTL 0u

#endif
