/* A ping client on the raw API: echo requests on a timer, replies matched by
 * identifier and sequence number, round-trip times on the instance's clock.
 * ICMP echo over IPv4 (RFC 792), ICMPv6 echo over IPv6 (RFC 4443 4.1). */
#include <string.h>

#include "shoal/ping.h"
#include "shoal/raw.h"
#include "shoal/ip4.h"
#include "shoal/ip6.h"
#include "shoal/icmp.h"
#include "shoal/icmp6.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "shoal/stack.h"

/* Both echo headers: type, code, checksum, identifier, sequence number. */
#define ECHO_HDR_LEN 8u

static void ping_timer(struct stack *s, void *arg);

static void send_echo(struct ping *pg, uint64_t now)
{
    uint16_t seq = pg->sent;
    size_t len = ECHO_HDR_LEN + pg->payload_len;
    bool v6 = ip_addr_is_v6(&pg->dst);
    pg->sent_at_ns[seq] = now;
    pg->result[seq] = PING_PENDING;
    pg->sent++;
    struct pbuf *p = pbuf_alloc(pg->stack, PBUF_IP, len);
    if (p == NULL) return; /* counted by the pool; the echo will time out as lost */
    uint8_t type = v6 ? ICMP6_TYPE_ECHO_REQUEST : ICMP_ECHO;
    uint8_t hdr[ECHO_HDR_LEN] = {type, 0, 0, 0, (uint8_t)(pg->id >> 8), (uint8_t)pg->id,
                                 (uint8_t)(seq >> 8), (uint8_t)seq};
    pbuf_take_at(p, hdr, sizeof(hdr), 0);
    /* A recognisable, deterministic payload: bytes counting up. */
    uint8_t chunk[256];
    for (size_t i = 0; i < sizeof(chunk); i++) chunk[i] = (uint8_t)i;
    for (size_t off = 0; off < pg->payload_len; off += sizeof(chunk))
        pbuf_take_at(p, chunk, SHOAL_MIN(sizeof(chunk), pg->payload_len - off), ECHO_HDR_LEN + off);
    /* RFC 4443 2.3: the ICMPv6 checksum covers a pseudo-header; the raw
     * PCB fills it in (RFC 3542 3.1), so only ICMP is summed here. */
    if (!v6) {
        uint16_t sum = inet_chksum_pbuf(p);
        uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
        pbuf_take_at(p, sb, 2, 2);
    }
    raw_sendto(pg->pcb, p, &pg->dst);
    pbuf_free(p);
}

/* Record echo reply number seq (an unknown or repeated one is a duplicate). */
static void take_reply(struct ping *pg, uint16_t seq, uint8_t ttl)
{
    if (seq < pg->sent && pg->result[seq] == PING_PENDING) {
        pg->rtt_ns[seq] = stack_now(pg->stack) - pg->sent_at_ns[seq];
        pg->reply_ttl[seq] = ttl;
        pg->result[seq] = PING_REPLIED;
        pg->replies++;
    } else {
        pg->duplicates++;
    }
}

static bool ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct ping *pg = arg;
    uint8_t ip[IP4_MAX_HDR_LEN + ECHO_HDR_LEN];
    size_t n = pbuf_copy_partial(p, ip, sizeof(ip), 0);
    uint16_t seq;
    if (ip_addr_is_v6(&pg->dst)) {
        /* IPv6 PCBs see the ICMPv6 message itself (RFC 3542 3); a reply
         * to a multicast echo may come from any member. */
        if (!ip_addr_is_v6(addr) || n < ECHO_HDR_LEN) return false;
        if (!ip6_addr_is_multicast(ip_2_ip6(&pg->dst)) && !ip6_addr_eq(ip_2_ip6(addr), ip_2_ip6(&pg->dst)))
            return false;
        if (ip[0] != ICMP6_TYPE_ECHO_REPLY || ip[1] != 0 || rd16be(ip + 4) != pg->id) return false;
        seq = rd16be(ip + 6);
        take_reply(pg, seq, 0); /* the hop limit stays with the IPv6 header */
    } else {
        if (n < IP4_HDR_LEN || !ip_addr_is_v4(addr) || ip_2_ip4(addr)->addr != ip_2_ip4(&pg->dst)->addr)
            return false;
        size_t ihl = (size_t)(ip[0] & 0x0fu) * 4u;
        if (n < ihl + ECHO_HDR_LEN) return false;
        const uint8_t *icmp = ip + ihl;
        if (icmp[0] != ICMP_ECHO_REPLY || rd16be(icmp + 4) != pg->id) return false;
        seq = rd16be(icmp + 6);
        take_reply(pg, seq, ip[8]);
    }
    pbuf_free(p);
    ping_timer(pg->stack, pg); /* maybe done now */
    return true;
}

/* Expire late echoes, send the next one when due, and sleep until the next
 * of those two events; finish when nothing is left to wait for. */
static void ping_timer(struct stack *s, void *arg)
{
    struct ping *pg = arg;
    uint64_t now = stack_now(s);
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint16_t i = 0; i < pg->sent; i++) {
        if (pg->result[i] != PING_PENDING) continue;
        uint64_t expiry = pg->sent_at_ns[i] + pg->timeout_ns;
        if (expiry <= now)
            pg->result[i] = PING_LOST;
        else if (expiry < next)
            next = expiry;
    }
    if (pg->sent < pg->count) {
        uint64_t due = pg->sent == 0 ? now : pg->sent_at_ns[pg->sent - 1] + pg->interval_ns;
        if (due <= now) {
            send_echo(pg, now);
            if (now + pg->timeout_ns < next) next = now + pg->timeout_ns;
            due = now + pg->interval_ns;
        }
        if (pg->sent < pg->count && due < next) next = due;
    }
    if (next == SHOAL_TIME_NEVER) {
        ping_stop(pg);
        pg->done = true;
        return;
    }
    stack_timer_arm(s, &pg->timer, next, ping_timer, pg);
}

static err_t start(struct ping *pg, struct stack *s, const ip_addr_t *dst, uint16_t count, uint64_t interval_ns,
                   uint16_t payload_len, uint64_t timeout_ns)
{
    bool v6 = ip_addr_is_v6(dst);
    uint16_t max_payload = v6 ? PING6_MAX_PAYLOAD : PING_MAX_PAYLOAD;
    if (count == 0 || count > PING_MAX_COUNT || payload_len > max_payload) return ERR_VAL;
    memset(pg, 0, sizeof(*pg));
    pg->pcb = v6 ? raw_new_ip_type(s, IPADDR_TYPE_V6, IP6_NH_ICMP6) : raw_new(s, IP_PROTO_ICMP);
    if (pg->pcb == NULL) return ERR_MEM;
    raw_recv(pg->pcb, ping_recv, pg);
    pg->stack = s;
    pg->dst = *dst;
    pg->id = (uint16_t)stack_random32(s);
    pg->count = count;
    pg->payload_len = payload_len;
    pg->interval_ns = interval_ns;
    pg->timeout_ns = timeout_ns;
    ping_timer(s, pg);
    return ERR_OK;
}

err_t ping_start(struct ping *pg, struct stack *s, const ip4_addr_t *dst, uint16_t count, uint64_t interval_ns,
                 uint16_t payload_len, uint64_t timeout_ns)
{
    if (dst == NULL) return ERR_VAL;
    ip_addr_t d = ip_addr_from_ip4(*dst);
    return start(pg, s, &d, count, interval_ns, payload_len, timeout_ns);
}

err_t ping6_start(struct ping *pg, struct stack *s, const ip6_addr_t *dst, uint16_t count, uint64_t interval_ns,
                  uint16_t payload_len, uint64_t timeout_ns)
{
    /* RFC 4007 6: a scoped destination must say which link. */
    if (dst == NULL || ip6_addr_is_any(dst) || (ip6_addr_has_scope(dst) && dst->zone == 0)) return ERR_VAL;
    ip_addr_t d = ip_addr_from_ip6(dst);
    return start(pg, s, &d, count, interval_ns, payload_len, timeout_ns);
}

void ping_stop(struct ping *pg)
{
    if (pg->pcb == NULL) return;
    stack_timer_cancel(pg->stack, &pg->timer);
    raw_remove(pg->pcb);
    pg->pcb = NULL;
    pg->done = true;
}
