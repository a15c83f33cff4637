/* A ping client on the raw API: echo requests on a timer, replies matched by
 * identifier and sequence number, round-trip times on the instance's clock. */
#include <string.h>

#include "shoal/ping.h"
#include "shoal/raw.h"
#include "shoal/ip4.h"
#include "shoal/icmp.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "shoal/stack.h"

static void ping_timer(struct stack *s, void *arg);

static void send_echo(struct ping *pg, uint64_t now)
{
    uint16_t seq = pg->sent;
    size_t len = ICMP_HDR_LEN + pg->payload_len;
    pg->sent_at_ns[seq] = now;
    pg->result[seq] = PING_PENDING;
    pg->sent++;
    struct pbuf *p = pbuf_alloc(pg->stack, PBUF_IP, len);
    if (p == NULL) return; /* counted by the pool; the echo will time out as lost */
    uint8_t hdr[ICMP_HDR_LEN] = {ICMP_ECHO, 0, 0, 0, (uint8_t)(pg->id >> 8), (uint8_t)pg->id,
                                 (uint8_t)(seq >> 8), (uint8_t)seq};
    pbuf_take_at(p, hdr, sizeof(hdr), 0);
    /* A recognisable, deterministic payload: bytes counting up. */
    uint8_t chunk[256];
    for (size_t i = 0; i < sizeof(chunk); i++) chunk[i] = (uint8_t)i;
    for (size_t off = 0; off < pg->payload_len; off += sizeof(chunk))
        pbuf_take_at(p, chunk, SHOAL_MIN(sizeof(chunk), pg->payload_len - off), ICMP_HDR_LEN + off);
    uint16_t sum = inet_chksum_pbuf(p);
    uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sb, 2, 2);
    ip_addr_t dst = ip_addr_from_ip4(pg->dst);
    raw_sendto(pg->pcb, p, &dst);
    pbuf_free(p);
}

static bool ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct ping *pg = arg;
    uint8_t ip[IP4_MAX_HDR_LEN + ICMP_HDR_LEN];
    size_t n = pbuf_copy_partial(p, ip, sizeof(ip), 0);
    if (n < IP4_HDR_LEN || !ip_addr_is_v4(addr) || ip_2_ip4(addr)->addr != pg->dst.addr) return false;
    size_t ihl = (size_t)(ip[0] & 0x0fu) * 4u;
    if (n < ihl + ICMP_HDR_LEN) return false;
    const uint8_t *icmp = ip + ihl;
    if (icmp[0] != ICMP_ECHO_REPLY || rd16be(icmp + 4) != pg->id) return false;
    uint16_t seq = rd16be(icmp + 6);
    if (seq < pg->sent && pg->result[seq] == PING_PENDING) {
        uint64_t rtt = stack_now(pg->stack) - pg->sent_at_ns[seq];
        pg->rtt_ns[seq] = rtt;
        pg->reply_ttl[seq] = ip[8];
        pg->result[seq] = PING_REPLIED;
        pg->replies++;
    } else {
        pg->duplicates++;
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

err_t ping_start(struct ping *pg, struct stack *s, const ip4_addr_t *dst, uint16_t count, uint64_t interval_ns,
                 uint16_t payload_len, uint64_t timeout_ns)
{
    if (count == 0 || count > PING_MAX_COUNT || payload_len > PING_MAX_PAYLOAD || dst == NULL) return ERR_VAL;
    memset(pg, 0, sizeof(*pg));
    pg->pcb = raw_new(s, IP_PROTO_ICMP);
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

void ping_stop(struct ping *pg)
{
    if (pg->pcb == NULL) return;
    stack_timer_cancel(pg->stack, &pg->timer);
    raw_remove(pg->pcb);
    pg->pcb = NULL;
    pg->done = true;
}
