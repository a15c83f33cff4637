/*
 * IPv4 (RFC 791, host requirements of RFC 1122): input validation and
 * demultiplexing, output with route lookup, and the routing table.
 */
#ifndef SHOAL_IP4_H
#define SHOAL_IP4_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"

struct stack;
struct netif;
struct pbuf;

#define IP4_HDR_LEN 20u
#define IP4_MAX_HDR_LEN 60u
#define IP4_FLAG_DF 0x4000u
#define IP4_FLAG_MF 0x2000u
#define IP4_OFFSET_MASK 0x1fffu

#define IP_PROTO_ICMP 1u
#define IP_PROTO_IGMP 2u
#define IP_PROTO_TCP 6u
#define IP_PROTO_UDP 17u
#define IP_PROTO_UDPLITE 136u

/* Validated view of an IPv4 header. */
struct ip4_repr {
    uint8_t ihl_bytes;      /* header length including options */
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t flags_offset;  /* flags (DF, MF) and fragment offset in 8-byte units */
    uint8_t ttl;
    uint8_t proto;
    ip4_addr_t src;
    ip4_addr_t dst;
};

/*
 * Check a header: version 4, IHL >= 5 and within `len`, total length within
 * [IHL, len], options well formed, header checksum. Returns ERR_OK, ERR_BUF
 * (truncated / length lies), ERR_VAL (bad version or IHL / options: opterr)
 * or ERR_ARG (bad checksum). Checksum checking can be skipped by passing
 * check_sum = false.
 */
enum ip4_parse_result { IP4_OK, IP4_ERR_LEN, IP4_ERR_VERSION, IP4_ERR_IHL, IP4_ERR_OPTIONS, IP4_ERR_CHECKSUM };
enum ip4_parse_result ip4_parse(const uint8_t *p, size_t len, bool check_sum, struct ip4_repr *out);

/* Emit a 20-byte header with its checksum. */
void ip4_emit(const struct ip4_repr *r, uint8_t *p);

/* What transport input handlers learn about the packet that carried them. */
struct ip4_rx_info {
    struct netif *netif;    /* where it came in */
    const uint8_t *hdr;     /* the IP header (ihl_bytes long), still in the pbuf */
    struct ip4_repr ip;
    bool dst_broadcast;     /* sent to a broadcast address */
    bool dst_multicast;     /* sent to a multicast address */
};

/* An IPv4 packet from a netif (link header removed). Takes p. */
void ip4_input(struct pbuf *p, struct netif *netif);

/*
 * Send p (transport header and payload) to dst. Route lookup picks the netif
 * and next hop; src NULL or 0.0.0.0 means the netif's address. p stays the
 * caller's (the IP header is prepended in its headroom).
 */
err_t ip4_output(struct stack *s, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                 uint8_t ttl, uint8_t tos, uint8_t proto);
/* Same, out of a given netif (broadcasts), next hop = dst. */
err_t ip4_output_if(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                    uint8_t ttl, uint8_t tos, uint8_t proto);

/* Routing: longest prefix match over connected subnets and static routes. */
struct ip4_route_result {
    struct netif *netif;
    ip4_addr_t nexthop;
};
err_t ip4_route(struct stack *s, const ip4_addr_t *dst, struct ip4_route_result *out);

/* Static routes. `gateway` 0.0.0.0 means on-link through `netif`; `netif`
 * NULL means the netif whose subnet holds the gateway. Prefix 0/0 is the
 * default route. ERR_MEM when the table is full; an equal prefix replaces. */
err_t ip4_route_add(struct stack *s, const ip4_addr_t *prefix, uint8_t prefix_len, const ip4_addr_t *gateway,
                    struct netif *netif);
err_t ip4_route_del(struct stack *s, const ip4_addr_t *prefix, uint8_t prefix_len);

/* True if addr is one of this instance's addresses. */
bool ip4_is_local_addr(struct stack *s, const ip4_addr_t *addr);

#endif
