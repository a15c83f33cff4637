/*
 * Stateless DHCPv6 client (RFC 8415 6.1, 18.2.6): Information-request for
 * DNS servers (RFC 3646) and the domain search list. State is caller-owned,
 * one per netif, like struct dhcp.
 *
 * The message logic is pure functions (stack/ipv6/dhcp6_msg.c): a
 * bounds-checked parser into struct dhcp6_msg, the client's
 * Information-request builder and Reply check, and the small server's
 * answer builder.
 */
#ifndef SHOAL_DHCP6_H
#define SHOAL_DHCP6_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"
#include "shoal/timer.h"

struct netif;
struct udp_pcb;

#define DHCP6_CLIENT_PORT 546u
#define DHCP6_SERVER_PORT 547u
#define DHCP6_MAX_DNS 3u
#define DHCP6_DOMAIN_MAX 64u

enum dhcp6_state { DHCP6_OFF = 0, DHCP6_REQUESTING, DHCP6_DONE };

struct dhcp6 {
    struct netif *netif;
    struct udp_pcb *pcb;
    struct stack_timer timer;
    uint8_t state;              /* enum dhcp6_state */
    uint32_t xid;               /* 24 bits */
    uint32_t rt_ms;             /* current retransmission timeout (RFC 8415 15) */
    uint64_t started_ns;        /* for the Elapsed Time option */
    uint32_t tries;
    ip6_addr_t dns[DHCP6_MAX_DNS];
    uint8_t dns_count;
    char domain[DHCP6_DOMAIN_MAX]; /* first search domain, dotted, NUL-terminated */
    uint32_t refresh_s;         /* RFC 8415 21.23 information refresh period, s (default 86400) */
    uint32_t inf_max_rt_s;      /* RFC 8415 21.25 INF_MAX_RT (default 3600, a server may change it) */
    uint32_t replies;           /* Replies accepted */
};

/* Send Information-requests on netif until a Reply arrives, and again after
 * the information refresh time. The DNS servers and domain it carries stay
 * in d (dns, domain) for the caller to hand to the resolver, as with the
 * IPv4 DHCP client (the resolver's servers are IPv4 only for now). */
err_t dhcp6_inform(struct netif *netif, struct dhcp6 *d);
void dhcp6_stop(struct netif *netif);

/* ---- messages (RFC 8415 8, 21) ---- */

/* Message types (RFC 8415 7.3). */
#define DHCP6_SOLICIT 1u
#define DHCP6_ADVERTISE 2u
#define DHCP6_REQUEST 3u
#define DHCP6_CONFIRM 4u
#define DHCP6_RENEW 5u
#define DHCP6_REBIND 6u
#define DHCP6_REPLY 7u
#define DHCP6_RELEASE 8u
#define DHCP6_DECLINE 9u
#define DHCP6_RECONFIGURE 10u
#define DHCP6_INFORMATION_REQUEST 11u
#define DHCP6_RELAY_FORW 12u
#define DHCP6_RELAY_REPL 13u

/* Option codes (RFC 8415 21, RFC 3646). */
#define DHCP6_OPT_CLIENTID 1u
#define DHCP6_OPT_SERVERID 2u
#define DHCP6_OPT_IA_NA 3u
#define DHCP6_OPT_IA_TA 4u
#define DHCP6_OPT_ORO 6u
#define DHCP6_OPT_ELAPSED_TIME 8u
#define DHCP6_OPT_STATUS_CODE 13u
#define DHCP6_OPT_DNS_SERVERS 23u
#define DHCP6_OPT_DOMAIN_LIST 24u
#define DHCP6_OPT_IA_PD 25u
#define DHCP6_OPT_INFORMATION_REFRESH_TIME 32u
#define DHCP6_OPT_INF_MAX_RT 83u

/* Status codes (RFC 8415 21.13). */
#define DHCP6_STATUS_SUCCESS 0u
#define DHCP6_STATUS_UNSPEC_FAIL 1u
#define DHCP6_STATUS_NO_ADDRS_AVAIL 2u

#define DHCP6_HDR_LEN 4u            /* msg-type, transaction-id (24 bits) */
#define DHCP6_DUID_MAX 130u         /* RFC 8415 11.1: type code + up to 128 octets */
#define DHCP6_ORO_MAX 16u
#define DHCP6_MAX_MSG_LEN 1232u     /* what fits an IPv6 minimum-MTU packet with UDP */
#define DHCP6_DUID_LL 3u            /* RFC 8415 11.4 */
#define DHCP6_INFINITY 0xffffffffu

/* Which options a parsed message carried (bits of dhcp6_msg.have). */
#define DHCP6_HAVE_CLIENTID 0x0001u
#define DHCP6_HAVE_SERVERID 0x0002u
#define DHCP6_HAVE_ORO 0x0004u
#define DHCP6_HAVE_ELAPSED 0x0008u
#define DHCP6_HAVE_STATUS 0x0010u
#define DHCP6_HAVE_DNS 0x0020u
#define DHCP6_HAVE_DOMAIN 0x0040u
#define DHCP6_HAVE_REFRESH 0x0080u
#define DHCP6_HAVE_IA 0x0100u       /* an IA_NA, IA_TA or IA_PD */
#define DHCP6_HAVE_INF_MAX_RT 0x0200u

/* A validated client/server message (relay messages are not parsed). */
struct dhcp6_msg {
    uint8_t type;
    uint32_t xid;
    uint16_t have;              /* DHCP6_HAVE_* */
    uint8_t client_id[DHCP6_DUID_MAX];
    uint8_t client_id_len;
    uint8_t server_id[DHCP6_DUID_MAX];
    uint8_t server_id_len;
    uint16_t elapsed_cs;
    uint16_t oro[DHCP6_ORO_MAX]; /* the first DHCP6_ORO_MAX codes asked for */
    uint8_t oro_count;
    uint16_t status;
    ip6_addr_t dns[DHCP6_MAX_DNS]; /* the first DHCP6_MAX_DNS servers */
    uint8_t dns_count;
    char domain[DHCP6_DOMAIN_MAX]; /* first name of the domain list, dotted; "" if it did not fit */
    uint32_t refresh_s;
    uint32_t inf_max_rt_s;
};

enum dhcp6_parse_result {
    DHCP6_PARSE_OK,
    DHCP6_PARSE_LEN,     /* shorter than the header */
    DHCP6_PARSE_FORMAT,  /* a relay message or an unknown type */
    DHCP6_PARSE_OPTIONS  /* an option runs past the end or has a bad length or content */
};
enum dhcp6_parse_result dhcp6_parse(const uint8_t *p, size_t len, struct dhcp6_msg *out);

/* DUID-LL (RFC 8415 11.4): type 3, hardware type 1 (Ethernet), the address.
 * Returns its length, 0 if cap is too small. */
size_t dhcp6_duid_ll(const uint8_t *hwaddr, size_t hwaddr_len, uint8_t *out, size_t cap);

/* Information-request (RFC 8415 18.2.6): Client Identifier (when duid_len
 * > 0), Elapsed Time, and an Option Request for DNS servers, domain list,
 * information refresh time and INF_MAX_RT. Returns the length, 0 if cap is
 * too small. */
size_t dhcp6_build_inform(uint32_t xid, const uint8_t *duid, size_t duid_len, uint16_t elapsed_cs, uint8_t *buf,
                          size_t cap);

/* RFC 8415 16.10: is m a Reply to our Information-request `xid` from a
 * client with this DUID (duid_len 0: we sent no Client Identifier)? */
bool dhcp6_reply_matches(const struct dhcp6_msg *m, uint32_t xid, const uint8_t *duid, size_t duid_len);

/* What the small server answers with. */
struct dhcp6_answer_cfg {
    const uint8_t *server_duid;
    size_t server_duid_len;
    const ip6_addr_t *dns;
    uint8_t dns_count;
    const char *domain;         /* dotted, NULL or "" for none */
    uint32_t refresh_s;         /* 0: no Information Refresh Time option */
};
/* The server's answer to req (RFC 8415 18.3): a Reply to an
 * Information-request, an Advertise with status NoAddrsAvail to a Solicit.
 * Returns the length, or 0 when req must be ignored (RFC 8415 16: wrong
 * Server Identifier, missing Client Identifier on a Solicit, IA options on
 * an Information-request, other message types) or cap is too small. */
size_t dhcp6_build_answer(const struct dhcp6_msg *req, const struct dhcp6_answer_cfg *cfg, uint8_t *buf, size_t cap);

#endif
