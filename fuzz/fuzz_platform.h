/*
 * Shared pieces of the libFuzzer harnesses in fuzz/: the deterministic fake
 * platform (stack/tests/test_platform.h: calloc memory, a clock only the
 * harness moves, a seeded xorshift), plus the oracles and frame helpers that
 * more than one harness needs. Hosted code, never part of the stack.
 */
#ifndef SHOAL_FUZZ_PLATFORM_H
#define SHOAL_FUZZ_PLATFORM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/pbuf.h"
#include "shoal/ip4.h"
#include "shoal/ethernet.h"
#include "shoal/inet_chksum.h"
#include "../stack/tests/test_platform.h"

/* Longest plausible wait until a stack's next timer: keepalive's default
 * idle time (2 h, RFC 1122 4.2.3.6) plus slack. A deadline further away is a
 * clock bug (an overflowed or uninitialised time). */
#define FUZZ_MAX_TIMER_WAIT_NS (7300ull * SHOAL_NS_PER_S)
/* Timer callbacks one advance may run before it counts as a livelock (a
 * timer that keeps re-arming itself at a time already due). */
#define FUZZ_MAX_TIMER_RUNS 200000u

static inline void fuzz_fail(const char *harness, const char *why, unsigned long long value)
{
    fprintf(stderr, "%s: %s (%llu)\n", harness, why, value);
    abort();
}

/* Move the fake clock to until_ns, running every timer at its own deadline
 * as the simulator does; then no timer may be left due, and the next one may
 * not lie absurdly far ahead. */
static inline void fuzz_advance(const char *harness, struct test_platform *tp, struct stack *s, uint64_t until_ns)
{
    unsigned runs = 0;
    for (;;) {
        uint64_t next = stack_next_deadline(s);
        if (next > until_ns) break;
        if (++runs > FUZZ_MAX_TIMER_RUNS) fuzz_fail(harness, "timer livelock: deadline never moves past", next);
        if (next > tp->now_ns) tp->now_ns = next;
        stack_run_timers(s, tp->now_ns);
    }
    if (until_ns > tp->now_ns) tp->now_ns = until_ns;
    uint64_t next = stack_next_deadline(s);
    if (next != SHOAL_TIME_NEVER && next - tp->now_ns > FUZZ_MAX_TIMER_WAIT_NS)
        fuzz_fail(harness, "next deadline implausibly far ahead (s)", (next - tp->now_ns) / SHOAL_NS_PER_S);
}

/* No pool may report more in use than it holds; with must_be_empty, every
 * pool but the harness's own (netifs, UDP and raw PCBs) must be empty. */
static inline void fuzz_check_pools(const char *harness, const struct stack *s, bool must_be_empty)
{
    const char *name;
    uint64_t value;
    for (size_t i = 0; stack_stats_entry(s, i, &name, &value); i++) {
        size_t n = strlen(name);
        if (strncmp(name, "pool.", 5) != 0 || n < 5 || strcmp(name + n - 5, ".used") != 0) continue;
        if (strcmp(name, "pool.netif.used") == 0 || strcmp(name, "pool.udp_pcb.used") == 0 ||
            strcmp(name, "pool.raw_pcb.used") == 0)
            continue;
        if (must_be_empty && value != 0) {
            fprintf(stderr, "%s: %s = %llu after draining\n", harness, name, (unsigned long long)value);
            fuzz_fail(harness, "leak: a pool is not empty after every timer expired", value);
        }
    }
    uint64_t used = test_stat(s, "pool.pbuf.used");
    if (used > (uint64_t)stack_config(s)->pbuf_count) fuzz_fail(harness, "more pbufs in use than the pool holds", used);
}

/* The one's-complement sum of an IPv4 pseudo header and a transport
 * segment, as it goes into the checksum field (RFC 768, RFC 9293 3.1). */
static inline uint16_t fuzz_transport_sum(const uint8_t *ip, uint8_t proto, const uint8_t *seg, size_t len)
{
    uint32_t pseudo = chksum_partial(ip + 12, 8, 0);
    pseudo += proto;
    pseudo += (uint32_t)len;
    return chksum_finish(chksum_partial(seg, len, pseudo));
}

/* Make the checksums of an Ethernet/IPv4 frame right, where its lengths
 * allow: the IP header's, then ICMP's, or UDP's/TCP's with the pseudo
 * header. Anything else is left as it is. */
static inline void fuzz_fix_checksums(uint8_t *f, size_t len)
{
    if (len < ETH_HDR_LEN + IP4_HDR_LEN || rd16be(f + 12) != ETHTYPE_IP4) return;
    uint8_t *ip = f + ETH_HDR_LEN;
    size_t ihl = (size_t)(ip[0] & 0x0fu) * 4u, total = rd16be(ip + 2);
    if (ihl < IP4_HDR_LEN || ETH_HDR_LEN + ihl > len) return;
    wr16be(ip + 10, 0);
    wr16be(ip + 10, inet_chksum(ip, ihl));
    if (total < ihl || ETH_HDR_LEN + total > len) return;
    uint8_t *t = ip + ihl;
    size_t tlen = total - ihl, at;
    switch (ip[9]) {
    case IP_PROTO_ICMP:
        if (tlen < 4) return;
        wr16be(t + 2, 0);
        wr16be(t + 2, inet_chksum(t, tlen));
        return;
    case IP_PROTO_UDP:
        if (tlen < 8) return;
        if (rd16be(t + 4) >= 8 && rd16be(t + 4) <= tlen) tlen = rd16be(t + 4);
        at = 6;
        break;
    case IP_PROTO_TCP:
        if (tlen < 20) return;
        at = 16;
        break;
    default: return;
    }
    wr16be(t + at, 0);
    uint16_t sum = fuzz_transport_sum(ip, ip[9], t, tlen);
    if (ip[9] == IP_PROTO_UDP && sum == 0) sum = 0xffffu; /* RFC 768: 0 means none */
    wr16be(t + at, sum);
}

/* Checks on a frame the stack sends: 60..1514 bytes, and when it is IPv4 a
 * sane header with a right checksum and a total length inside the frame.
 * Copies it to buf (cap >= 1514) and returns its length. */
static inline size_t fuzz_check_sent_frame(const char *harness, const struct pbuf *p, uint8_t *buf, size_t cap)
{
    if (p->tot_len < ETH_MIN_FRAME_LEN || p->tot_len > ETH_HDR_LEN + 1500u || p->tot_len > cap)
        fuzz_fail(harness, "sent a frame with a length out of range", p->tot_len);
    size_t n = pbuf_copy_partial(p, buf, cap, 0);
    if (n != p->tot_len) fuzz_fail(harness, "sent a pbuf chain shorter than its tot_len", n);
    if (rd16be(buf + 12) == ETHTYPE_IP4) {
        size_t ihl = (size_t)(buf[14] & 0x0fu) * 4u;
        if ((buf[14] >> 4) != 4 || ihl < 20 || ETH_HDR_LEN + ihl > n) fuzz_fail(harness, "sent a bad IPv4 header", ihl);
        if (rd16be(buf + 16) < ihl || rd16be(buf + 16) > n - ETH_HDR_LEN)
            fuzz_fail(harness, "sent an IPv4 total length outside the frame", rd16be(buf + 16));
        if (inet_chksum(buf + ETH_HDR_LEN, ihl) != 0) fuzz_fail(harness, "sent a bad IPv4 header checksum", ihl);
    }
    return n;
}

/*
 * Optional, for a build that links with
 *   -Wl,--wrap=pool_init,--wrap=pool_alloc,--wrap=pool_free
 * and compiles with -DSHOAL_FUZZ_POISON_POOLS: ASan then sees the stack's
 * own pools (elements carved from one block, invisible to ASan otherwise),
 * so a use of a freed PCB, segment or pbuf, or of an element never handed
 * out, is reported where it happens, and so is a double free. The first
 * word of a free element holds the free-list link and stays readable.
 */
#ifdef SHOAL_FUZZ_POISON_POOLS
#include <sanitizer/asan_interface.h>
#include "../stack/core/pool.h"

void __real_pool_init(struct pool *p, const char *name, void *base, size_t elem_size, uint32_t count);
void *__real_pool_alloc(struct pool *p);
void __real_pool_free(struct pool *p, void *elem);

void __wrap_pool_init(struct pool *p, const char *name, void *base, size_t elem_size, uint32_t count)
{
    __real_pool_init(p, name, base, elem_size, count);
    if (base != NULL && elem_size * count > 0) ASAN_POISON_MEMORY_REGION(base, elem_size * count);
}

void *__wrap_pool_alloc(struct pool *p)
{
    void *e = __real_pool_alloc(p);
    if (e != NULL) ASAN_UNPOISON_MEMORY_REGION(e, p->elem_size);
    return e;
}

void __wrap_pool_free(struct pool *p, void *elem)
{
    if (elem == NULL) return;
    if (p->elem_size > sizeof(void *) && __asan_address_is_poisoned((uint8_t *)elem + sizeof(void *)))
        fuzz_fail("pool", "double free of a pool element", (unsigned long long)(uintptr_t)elem);
    __real_pool_free(p, elem);
    if (p->elem_size > sizeof(void *))
        ASAN_POISON_MEMORY_REGION((uint8_t *)elem + sizeof(void *), p->elem_size - sizeof(void *));
}
#endif

#endif
