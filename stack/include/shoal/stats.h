/*
 * Counters: per protocol (rx, tx, drops by class) and per pool (use, peak,
 * allocation failures). All live in the instance; stack_stats_entry() lists
 * them by name ("ip4.chkerr", "pool.pbuf.peak") so that bindings and tools
 * need no change when a counter is added.
 */
#ifndef SHOAL_STATS_H
#define SHOAL_STATS_H

#include "shoal/def.h"

struct stack;

/* Counters kept for each protocol (lwIP's stats_proto). */
struct proto_stats {
    uint32_t xmit;    /* transmitted */
    uint32_t recv;    /* received and accepted for processing */
    uint32_t fw;      /* forwarded */
    uint32_t drop;    /* dropped, for any reason (the classes below also count here) */
    uint32_t chkerr;  /* bad checksum */
    uint32_t lenerr;  /* bad or lying length, truncated */
    uint32_t memerr;  /* out of memory */
    uint32_t rterr;   /* no route */
    uint32_t proterr; /* protocol error: bad field value, unsupported */
    uint32_t opterr;  /* bad options */
    uint32_t err;     /* other errors */
};

enum stack_proto_id {
    STATS_LINK,    /* Ethernet framing */
    STATS_ETHARP,
    STATS_IP4,
    STATS_IP4_FRAG,
    STATS_ICMP,
    STATS_UDP,
    STATS_RAW,
    STATS_TCP,
    STATS_IGMP,
    STATS_UDPLITE,
    STATS_ACD,
    STATS_DHCP,
    STATS_AUTOIP,
    STATS_DNS,
    STATS_IP6,
    STATS_IP6_FRAG,
    STATS_ICMP6,
    STATS_ND6,
    STATS_MLD6,
    STATS_DHCP6,
    STATS_PROTO_COUNT
};

struct stack_stats {
    struct proto_stats proto[STATS_PROTO_COUNT];
    uint32_t icmp_ratelimited; /* ICMP errors not sent because of the rate limit */
    uint32_t arp_conflicts;    /* ARP packets claiming one of our addresses */
    uint32_t tcp_challenge_acks;    /* RFC 5961 challenge ACKs sent */
    uint32_t tcp_challenge_limited; /* challenge ACKs suppressed by the rate limit */
    uint32_t tcp_syn_evicted;       /* half-open connections dropped for new SYNs (backlog full) */
    uint32_t tcp_ooseq_dropped;     /* out-of-order segments not kept (queue full) */
    uint32_t icmp6_ratelimited;     /* ICMPv6 errors not sent because of the rate limit */
    uint32_t nd6_dad_failures;      /* addresses found duplicate (RFC 4862 5.4.5) */
};

struct stack_stats *stack_stats(struct stack *s);

/* Number of named counters, and the i-th one. Returns false past the end. */
size_t stack_stats_count(const struct stack *s);
bool stack_stats_entry(const struct stack *s, size_t i, const char **name, uint64_t *value);
/* The i-th counter's value alone (also when SHOAL_STATS_NAMES is 0, which
 * leaves the names, and stack_stats_entry, out of small builds). */
bool stack_stats_value(const struct stack *s, size_t i, uint64_t *value);

#endif
