/*
 * A ping client over the raw API (like lwIP's contrib ping): sends `count`
 * echo requests at an interval and records each reply's round-trip time on
 * the instance's clock: ICMP echo over IPv4, ICMPv6 echo (RFC 4443 4.1) over
 * IPv6. The caller owns the struct ping (no allocation).
 */
#ifndef SHOAL_PING_H
#define SHOAL_PING_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip_addr.h"
#include "shoal/timer.h"

struct stack;
struct raw_pcb;

#define PING_MAX_COUNT 64u
#define PING_MAX_PAYLOAD 1472u  /* 1500 - 20 (IPv4) - 8 (ICMP): no fragments on Ethernet */
#define PING6_MAX_PAYLOAD 1452u /* 1500 - 40 (IPv6) - 8 (ICMPv6) */

enum ping_result { PING_PENDING = 0, PING_REPLIED = 1, PING_LOST = 2 };

struct ping {
    struct stack *stack;
    struct raw_pcb *pcb;
    struct stack_timer timer;
    ip_addr_t dst;           /* its type says ICMP or ICMPv6 */
    uint16_t id;
    uint16_t count;
    uint16_t sent;
    uint16_t payload_len;
    uint64_t interval_ns;
    uint64_t timeout_ns;     /* a reply later than this after its request is lost */
    uint64_t sent_at_ns[PING_MAX_COUNT];
    uint64_t rtt_ns[PING_MAX_COUNT];
    uint8_t reply_ttl[PING_MAX_COUNT]; /* IPv4 only (0 for IPv6) */
    uint8_t result[PING_MAX_COUNT]; /* enum ping_result */
    uint16_t replies;
    uint16_t duplicates;
    bool done;
};

/* Start pinging now; ERR_MEM without a free raw PCB, ERR_VAL for a bad count/size. */
err_t ping_start(struct ping *pg, struct stack *s, const ip4_addr_t *dst, uint16_t count, uint64_t interval_ns,
                 uint16_t payload_len, uint64_t timeout_ns);
/* The same over IPv6; a link-local dst needs its zone. ERR_VAL also for ::. */
err_t ping6_start(struct ping *pg, struct stack *s, const ip6_addr_t *dst, uint16_t count, uint64_t interval_ns,
                  uint16_t payload_len, uint64_t timeout_ns);
/* Stop early and release the PCB (needed before freeing *pg unless done). */
void ping_stop(struct ping *pg);

#endif
