/*
 * DHCP (RFC 2131, options of RFC 2132): the message parser and builder that
 * the client and the simulation server share, and the client.
 *
 * Client: caller-owned struct dhcp. dhcp_init() zeroes it and sets the
 * default configuration (dhcp->cfg, which the caller may then change);
 * dhcp_start() begins INIT -> SELECTING -> REQUESTING -> (RFC 5227 probe of
 * the offered address) -> BOUND -> RENEWING at T1 (unicast to the server)
 * -> REBINDING at T2 (broadcast) -> lease expiry back to INIT. A conflict
 * found by the probe sends DHCPDECLINE and restarts 10 s later (RFC 2131
 * 3.1.5). Retransmissions back off 4, 8, 16, 32, 64 s, each +/- 1 s at
 * random (RFC 2131 4.1), on the instance's clock; xids come from its RNG.
 *
 * All clients of an instance share one UDP PCB on port 68 (found through
 * the netifs' dhcp pointers), so every netif may run its own client.
 *
 * Counters (dhcp.*): xmit = messages sent; recv = messages accepted; drop
 * with lenerr (truncated), proterr (not a BOOTREPLY / bad cookie / bad
 * fields / unexpected type), opterr (malformed options); drop alone: not
 * for one of our transactions.
 */
#ifndef SHOAL_DHCP_H
#define SHOAL_DHCP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/timer.h"
#include "shoal/acd.h"

struct netif;
struct udp_pcb;
struct autoip;

#define DHCP_SERVER_PORT 67u
#define DHCP_CLIENT_PORT 68u

/* RFC 2131 2: the fixed part, then the magic cookie (RFC 2132 2). */
#define DHCP_FIXED_LEN 236u
#define DHCP_COOKIE_LEN 4u
#define DHCP_OPTIONS_OFS (DHCP_FIXED_LEN + DHCP_COOKIE_LEN)
#define DHCP_MAGIC_COOKIE 0x63825363u
#define DHCP_SNAME_OFS 44u
#define DHCP_SNAME_LEN 64u
#define DHCP_FILE_OFS 108u
#define DHCP_FILE_LEN 128u
/* RFC 1542 2.1: BOOTP relays may drop messages shorter than 300 bytes. */
#define DHCP_MIN_MSG_LEN 300u
/* Largest message the stack builds or parses (an Ethernet MTU's worth). */
#define DHCP_MAX_MSG_LEN 1472u

#define DHCP_BOOTREQUEST 1u
#define DHCP_BOOTREPLY 2u
#define DHCP_FLAG_BROADCAST 0x8000u

/* RFC 2132 9.6: message types (option 53). */
enum dhcp_msg_type {
    DHCP_DISCOVER = 1,
    DHCP_OFFER = 2,
    DHCP_REQUEST = 3,
    DHCP_DECLINE = 4,
    DHCP_ACK = 5,
    DHCP_NAK = 6,
    DHCP_RELEASE = 7,
    DHCP_INFORM = 8
};

/* RFC 2132 option codes used here. */
enum dhcp_option {
    DHCP_OPT_PAD = 0,
    DHCP_OPT_SUBNET_MASK = 1,
    DHCP_OPT_ROUTER = 3,
    DHCP_OPT_DNS = 6,
    DHCP_OPT_HOSTNAME = 12,
    DHCP_OPT_REQUESTED_IP = 50,
    DHCP_OPT_LEASE_TIME = 51,
    DHCP_OPT_OVERLOAD = 52,
    DHCP_OPT_MSG_TYPE = 53,
    DHCP_OPT_SERVER_ID = 54,
    DHCP_OPT_PARAM_LIST = 55,
    DHCP_OPT_MESSAGE = 56,
    DHCP_OPT_MAX_MSG_SIZE = 57,
    DHCP_OPT_T1 = 58,
    DHCP_OPT_T2 = 59,
    DHCP_OPT_CLIENT_ID = 61,
    DHCP_OPT_END = 255
};

#define DHCP_DNS_MAX 2u
#define DHCP_CLIENT_ID_MAX 32u
#define DHCP_HOSTNAME_MAX 32u
#define DHCP_LEASE_INFINITE 0xffffffffu

/* Which options a parsed message carried (bits of dhcp_msg.have). */
#define DHCP_HAVE_MASK 0x001u
#define DHCP_HAVE_ROUTER 0x002u
#define DHCP_HAVE_DNS 0x004u
#define DHCP_HAVE_REQUESTED_IP 0x008u
#define DHCP_HAVE_LEASE 0x010u
#define DHCP_HAVE_SERVER_ID 0x020u
#define DHCP_HAVE_T1 0x040u
#define DHCP_HAVE_T2 0x080u
#define DHCP_HAVE_CLIENT_ID 0x100u
#define DHCP_HAVE_HOSTNAME 0x200u
#define DHCP_HAVE_PARAM_LIST 0x400u

/* Validated representation of a DHCP message (the options we use). */
struct dhcp_msg {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    ip4_addr_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t type;              /* option 53; 0 = none (a BOOTP message) */
    uint32_t have;             /* DHCP_HAVE_* */
    ip4_addr_t netmask, router, server_id, requested_ip;
    ip4_addr_t dns[DHCP_DNS_MAX];
    uint8_t dns_count;
    uint32_t lease_s, t1_s, t2_s;
    uint8_t client_id[DHCP_CLIENT_ID_MAX];
    uint8_t client_id_len;
    char hostname[DHCP_HOSTNAME_MAX + 1]; /* NUL-terminated, cut to fit */
};

enum dhcp_parse_result {
    DHCP_PARSE_OK = 0,
    DHCP_PARSE_LEN,      /* shorter than the fixed part and cookie */
    DHCP_PARSE_FORMAT,   /* bad cookie, op, htype/hlen */
    DHCP_PARSE_OPTIONS   /* an option runs past its field, a bad length, no type */
};
/* Parse p[0..len): fixed fields, cookie, options (with option overload into
 * file and sname, RFC 2131 4.1 / RFC 2132 9.3). Every read is bounds-checked. */
enum dhcp_parse_result dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *out);

/* Build a message from m into buf (cap bytes, at least DHCP_MIN_MSG_LEN):
 * fixed part, cookie, then the options flagged in m->have plus 53 and, when
 * param_list/param_len are given, 55; padded to 300 bytes. Returns the
 * length, or 0 if it does not fit. */
size_t dhcp_emit(const struct dhcp_msg *m, const uint8_t *param_list, size_t param_len, uint8_t *buf, size_t cap);

/* ---- the client ---- */

enum dhcp_state {
    DHCP_STATE_OFF = 0,
    DHCP_STATE_INIT,
    DHCP_STATE_SELECTING,
    DHCP_STATE_REQUESTING,
    DHCP_STATE_CHECKING,    /* probing the acknowledged address (RFC 2131 3.1.5) */
    DHCP_STATE_BOUND,
    DHCP_STATE_RENEWING,
    DHCP_STATE_REBINDING,
    DHCP_STATE_BACKING_OFF, /* after a DECLINE: 10 s before INIT again */
    DHCP_STATE_RELEASING    /* RELEASE sent, waiting on ARP for it to leave */
};

struct dhcp_config {
    bool check_address;      /* probe the address with ACD before using it (default on) */
    bool send_client_id;     /* option 61 = hardware type + MAC (default on) */
    bool desync_start;       /* RFC 2131 4.4.1: wait 1-10 s before the first DISCOVER (default off) */
    char hostname[DHCP_HOSTNAME_MAX + 1]; /* option 12 when not empty */
    /* AutoIP fallback (RFC 3927 1.9): when the timer after the n-th
     * unanswered DISCOVER fires, start AutoIP with this state; DHCP keeps
     * trying and stops AutoIP once it binds. NULL / 0: none. */
    struct autoip *autoip;
    uint8_t autoip_after_tries;
};

struct dhcp {
    struct dhcp_config cfg;
    /* Everything below is the client's; dhcp_start() resets it. */
    struct netif *netif;
    struct udp_pcb *pcb;       /* shared by the instance's clients */
    enum dhcp_state state;
    uint32_t xid;
    uint8_t tries;             /* transmissions of the current message */
    uint8_t discovers;         /* DISCOVERs without an OFFER, for the AutoIP fallback */
    uint64_t start_ns;         /* when this acquisition began (secs field) */
    struct stack_timer timer;  /* retransmission, back-off */
    struct stack_timer lease_timer; /* T1, T2, expiry */
    ip4_addr_t offered_ip;
    ip4_addr_t server_id;
    ip4_addr_t netmask, router;
    ip4_addr_t dns[DHCP_DNS_MAX];
    uint8_t dns_count;
    uint32_t lease_s, t1_s, t2_s;
    uint64_t request_ns;       /* first REQUEST of the current exchange */
    uint64_t lease_start_ns;   /* when the REQUEST that got the ACK was sent */
    uint32_t leases;           /* ACKs taken, for scripts */
    uint32_t naks;
    uint32_t declines;
    struct acd acd;
};

void dhcp_init(struct dhcp *dhcp);
err_t dhcp_start(struct netif *netif, struct dhcp *dhcp);
/* Stop the client and forget the lease (the address is cleared if DHCP set it). */
void dhcp_stop(struct netif *netif);
/* RFC 2131 4.4.6: DHCPRELEASE to the server, then stop (once the RELEASE
 * has left: if the server's MAC is not cached yet, the address stays until
 * ARP resolves it, at most 5 s). */
err_t dhcp_release(struct netif *netif);
/* Renew now (from BOUND): RENEWING as at T1. */
err_t dhcp_renew(struct netif *netif);
/* Time left on the lease in ns (0 when not bound; UINT64_MAX when infinite). */
uint64_t dhcp_lease_left_ns(const struct dhcp *dhcp);
const char *dhcp_state_name(enum dhcp_state st);

#endif
