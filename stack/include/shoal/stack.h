/*
 * A stack instance and the platform it runs on.
 *
 * Everything an instance owns (pools, tables, PCBs, netifs, timers, stats)
 * lives in one block of memory that the platform hands over once, in
 * stack_new(). The stack never reads a clock or a random source of its own:
 * it asks the platform. There is no periodic tick: the host asks
 * stack_next_deadline() after each call into the stack and calls
 * stack_run_timers() when that time comes.
 */
#ifndef SHOAL_STACK_H
#define SHOAL_STACK_H

#include "shoal/def.h"
#include "shoal/err.h"

struct stack;

enum stack_log_level { STACK_LOG_ERROR = 0, STACK_LOG_WARN = 1, STACK_LOG_INFO = 2, STACK_LOG_DEBUG = 3 };

struct stack_platform {
    void *ctx;                                   /* passed back to every callback */
    uint64_t (*now_ns)(void *ctx);               /* monotonic time, nanoseconds */
    uint32_t (*random32)(void *ctx);             /* uniformly random 32 bits */
    /* Optional: a log line (constant strings; `value` is a number worth printing). */
    void (*log)(void *ctx, enum stack_log_level level, const char *module, const char *msg, uint32_t value);
    /* Called once by stack_new() for the instance's memory, and once by
     * stack_free() to give it back. Memory need not be zeroed. */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr);
};

/* Per-instance sizes and tunables. stack_config_default() fills it from opt.h. */
struct stack_config {
    uint32_t pbuf_count;
    uint32_t pbuf_seg_size;
    uint32_t netif_count;
    uint32_t udp_pcb_count;
    uint32_t raw_pcb_count;
    uint32_t arp_table_size;
    uint32_t arp_queue_len;
    uint32_t route_count;
    uint8_t ip_default_ttl;
    bool ip_forwarding;            /* route between netifs (RFC 1812); off for a host */
    uint32_t ip4_reass_max;        /* datagrams in reassembly at once */
    uint32_t ip4_reass_frags;      /* fragments held, all datagrams together */
    uint32_t ip4_reass_timeout_ms;
    uint32_t igmp_groups;          /* multicast memberships, all netifs together */
    uint32_t arp_entry_lifetime_ms;
    uint32_t arp_request_interval_ms;
    uint32_t arp_max_tries;
    uint32_t icmp_err_rate_per_s;  /* 0: no ICMP errors at all */
    uint32_t icmp_err_burst;
    bool icmp_echo_broadcast;      /* answer pings sent to a broadcast address */
    uint32_t tcp_pcb_count;
    uint32_t tcp_seg_count;
    uint32_t tcp_mss;
    uint32_t tcp_snd_buf;          /* bytes */
    uint32_t tcp_wnd;              /* receive window, bytes */
    uint32_t tcp_ooseq_max;        /* segments per connection */
    uint32_t tcp_msl_ms;
    uint32_t tcp_rto_init_ms;
    uint32_t tcp_rto_min_ms;
    uint32_t tcp_max_rtx;
    uint32_t tcp_syn_max_rtx;
    uint32_t tcp_delack_ms;        /* 0: acknowledge every segment at once */
    bool tcp_sack;                 /* offer SACK (RFC 2018) */
    bool tcp_timestamps;           /* offer timestamps (RFC 7323) */
    bool tcp_wscale;               /* offer window scaling (RFC 7323) */
    /* IPv6 */
    uint32_t ip6_route_count;      /* static IPv6 routes */
    uint32_t ip6_reass_max;        /* datagrams in reassembly at once */
    uint32_t ip6_reass_frags;      /* fragments held, all datagrams together */
    uint32_t ip6_reass_timeout_ms;
    uint32_t nd6_neighbors;        /* neighbor cache entries (RFC 4861 5.1) */
    uint32_t nd6_routers;          /* default router list */
    uint32_t nd6_prefixes;         /* prefix list (on-link prefixes from RAs) */
    uint32_t nd6_dests;            /* destination cache: redirects and path MTU */
    uint32_t nd6_queue_len;        /* packets waiting for address resolution */
    uint32_t mld6_groups;          /* multicast memberships, all netifs together */
    uint8_t ip6_dad_transmits;     /* RFC 4862 5.1 DupAddrDetectTransmits (0: no DAD) */
};

void stack_config_default(struct stack_config *cfg);

/* Bytes of memory an instance with this configuration takes. */
size_t stack_memory_size(const struct stack_config *cfg);

/* Make an instance: asks platform->alloc once. NULL when the configuration is
 * invalid or the allocation fails. `cfg` may be NULL for the defaults. */
struct stack *stack_new(const struct stack_config *cfg, const struct stack_platform *platform);

/* Make an instance in caller-provided memory (static allocation on an MCU);
 * `size` must be at least stack_memory_size(cfg). */
struct stack *stack_init_in(void *mem, size_t size, const struct stack_config *cfg,
                            const struct stack_platform *platform);

/* Destroy an instance: frees every pbuf and PCB it owns, then its memory. */
void stack_free(struct stack *s);

const struct stack_config *stack_config(const struct stack *s);

/* The platform's time, and 32 random bits from it. */
uint64_t stack_now(struct stack *s);
uint32_t stack_random32(struct stack *s);
void stack_log(struct stack *s, enum stack_log_level level, const char *module, const char *msg, uint32_t value);

/* Earliest time at which stack_run_timers() must be called; SHOAL_TIME_NEVER
 * when the instance has nothing scheduled (an idle stack costs nothing). */
uint64_t stack_next_deadline(const struct stack *s);

/* Run every timer whose deadline is <= now_ns. */
void stack_run_timers(struct stack *s, uint64_t now_ns);

#endif
