/*
 * A ping client over the raw API (like lwIP's contrib ping): sends `count`
 * echo requests at an interval and records each reply's round-trip time on
 * the instance's clock. The caller owns the struct ping (no allocation).
 */
#ifndef SHOAL_PING_H
#define SHOAL_PING_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/timer.h"

struct stack;
struct raw_pcb;

#define PING_MAX_COUNT 64u
#define PING_MAX_PAYLOAD 1472u

enum ping_result { PING_PENDING = 0, PING_REPLIED = 1, PING_LOST = 2 };

struct ping {
    struct stack *stack;
    struct raw_pcb *pcb;
    struct stack_timer timer;
    ip4_addr_t dst;
    uint16_t id;
    uint16_t count;
    uint16_t sent;
    uint16_t payload_len;
    uint64_t interval_ns;
    uint64_t timeout_ns;     /* a reply later than this after its request is lost */
    uint64_t sent_at_ns[PING_MAX_COUNT];
    uint64_t rtt_ns[PING_MAX_COUNT];
    uint8_t reply_ttl[PING_MAX_COUNT];
    uint8_t result[PING_MAX_COUNT]; /* enum ping_result */
    uint16_t replies;
    uint16_t duplicates;
    bool done;
};

/* Start pinging now; ERR_MEM without a free raw PCB, ERR_VAL for a bad count/size. */
err_t ping_start(struct ping *pg, struct stack *s, const ip4_addr_t *dst, uint16_t count, uint64_t interval_ns,
                 uint16_t payload_len, uint64_t timeout_ns);
/* Stop early and release the PCB (needed before freeing *pg unless done). */
void ping_stop(struct ping *pg);

#endif
