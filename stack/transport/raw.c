/* Raw IP PCBs: whole protocols to and from applications (ping, probes),
 * over IPv4 and IPv6 (RFC 3542 3 for the IPv6 conventions). */
#include <string.h>

#include "shoal/raw.h"
#include "shoal/ip4.h"
#include "shoal/ip6.h"
#include "shoal/pbuf.h"
#include "shoal/netif.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_upper.h"
#include "transport/ip_pcb.h"

struct raw_pcb *raw_new_ip_type(struct stack *s, enum ip_addr_type type, uint8_t protocol)
{
    struct raw_pcb *pcb = pool_alloc(&s->pools[POOL_RAW_PCB]);
    if (pcb == NULL) return NULL;
    memset(pcb, 0, sizeof(*pcb));
    pcb->stack = s;
    pcb->protocol = protocol;
    pcb->local_ip = ip_addr_any(type);
    pcb->remote_ip = ip_addr_any(type);
    pcb->ttl = type == IPADDR_TYPE_V6 ? 0 : s->cfg.ip_default_ttl;
    /* RFC 3542 3.1: the stack always checksums ICMPv6 on raw sockets. */
    pcb->chksum_offset = type != IPADDR_TYPE_V4 && protocol == IP6_NH_ICMP6 ? 2 : -1;
    /* Append: delivery order follows creation order. */
    struct raw_pcb **pp = &s->raw_pcbs;
    while (*pp != NULL) pp = &(*pp)->next;
    *pp = pcb;
    return pcb;
}

struct raw_pcb *raw_new(struct stack *s, uint8_t protocol) { return raw_new_ip_type(s, IPADDR_TYPE_V4, protocol); }

void raw_remove(struct raw_pcb *pcb)
{
    if (pcb == NULL) return;
    struct stack *s = pcb->stack;
    for (struct raw_pcb **pp = &s->raw_pcbs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == pcb) {
            *pp = pcb->next;
            break;
        }
    }
    pool_free(&s->pools[POOL_RAW_PCB], pcb);
}

err_t raw_bind(struct raw_pcb *pcb, const ip_addr_t *ip)
{
    pcb->local_ip = ip_pcb_bind_addr(&pcb->local_ip, ip);
    return ERR_OK;
}

err_t raw_connect(struct raw_pcb *pcb, const ip_addr_t *ip)
{
    if (ip == NULL || !ip_pcb_dst_ok(&pcb->local_ip, ip)) return ERR_VAL;
    pcb->remote_ip = *ip;
    pcb->connected = true;
    return ERR_OK;
}

void raw_recv(struct raw_pcb *pcb, raw_recv_fn fn, void *arg)
{
    pcb->recv = fn;
    pcb->recv_arg = arg;
}

/* IPv6: p is the upper-layer message; with chksum_offset the stack fills
 * the checksum over the pseudo header (RFC 3542 3.1, RFC 8200 8.1). */
static err_t raw_sendto6(struct raw_pcb *pcb, struct pbuf *p, const ip6_addr_t *dst)
{
    struct stack *s = pcb->stack;
    struct ip_pcb_route6 rt;
    if (ip_pcb_route6(s, &pcb->local_ip, dst, 0, 0, &rt) != ERR_OK) return ERR_RTE;
    if (pcb->chksum_offset >= 0) {
        size_t off = (size_t)pcb->chksum_offset;
        if (off + 2u > p->tot_len) return ERR_VAL;
        uint8_t zero[2] = {0, 0};
        pbuf_take_at(p, zero, 2, off);
        uint16_t sum = inet_chksum_pseudo6(p, pcb->protocol, p->tot_len, &rt.src, dst, p->tot_len);
        uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
        pbuf_take_at(p, sb, 2, off);
    }
    return ip_pcb_output6(&rt, p, dst, pcb->ttl, pcb->tos, pcb->protocol);
}

err_t raw_sendto(struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *dst)
{
    if (pcb == NULL || p == NULL || dst == NULL) return ERR_ARG;
    if (!ip_pcb_dst_ok(&pcb->local_ip, dst)) return ERR_VAL;
    err_t err;
    if (ip_pcb_is_v6(dst)) {
        err = raw_sendto6(pcb, p, ip_2_ip6(dst));
    } else {
        ip4_addr_t src = pcb->local_ip.type == IPADDR_TYPE_V4 ? *ip_2_ip4(&pcb->local_ip) : (ip4_addr_t){0};
        err = ip4_output(pcb->stack, p, &src, ip_2_ip4(dst), pcb->ttl, pcb->tos, pcb->protocol);
    }
    if (err == ERR_OK) STATS_INC(pcb->stack, STATS_RAW, xmit);
    return err;
}

err_t raw_send(struct raw_pcb *pcb, struct pbuf *p)
{
    if (pcb == NULL || !pcb->connected) return ERR_CONN;
    return raw_sendto(pcb, p, &pcb->remote_ip);
}

static bool raw_listed(const struct stack *s, const struct raw_pcb *pcb)
{
    if (pcb == NULL) return true;
    for (const struct raw_pcb *q = s->raw_pcbs; q != NULL; q = q->next)
        if (q == pcb) return true;
    return false;
}

/* Offers p to every PCB of the protocol whose addresses match, in creation
 * order, until one takes it. `sum_state` (IPv6: 1 good, 0 bad) decides for
 * PCBs that check the checksum. */
static bool raw_offer(struct stack *s, struct pbuf *p, uint8_t proto, const ip_addr_t *src, const ip_addr_t *dst,
                      bool v6, int sum_state)
{
    struct raw_pcb *pcb = s->raw_pcbs;
    while (pcb != NULL) {
        struct raw_pcb *next = pcb->next;
        if (pcb->protocol == proto && pcb->recv != NULL && ip_pcb_family_ok(&pcb->local_ip, v6) &&
            ip_pcb_local_eq(&pcb->local_ip, dst) && (!pcb->connected || ip_pcb_addr_eq(&pcb->remote_ip, src)) &&
            /* RFC 3542 3.1: a bad checksum is dropped for PCBs that asked for it. */
            !(v6 && pcb->chksum_offset >= 0 && sum_state == 0)) {
            if (pcb->recv(pcb->recv_arg, pcb, p, src)) {
                STATS_INC(s, STATS_RAW, recv);
                return true;
            }
            /* The callback may have removed PCBs: go on only to one still listed. */
            if (!raw_listed(s, next)) break;
        }
        pcb = next;
    }
    return false;
}

bool raw_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    if (s->raw_pcbs == NULL) return false;
    /* Callbacks see the packet from its IP header on (lwIP's convention). */
    if (pbuf_add_header(p, info->ip.ihl_bytes) != ERR_OK) return false;
    ip_addr_t src = ip_addr_from_ip4(info->ip.src), dst = ip_addr_from_ip4(info->ip.dst);
    if (raw_offer(s, p, info->ip.proto, &src, &dst, false, 1)) return true;
    pbuf_remove_header(p, info->ip.ihl_bytes);
    return false;
}

bool raw_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    if (!SHOAL_IPV6) return false;
    struct stack *s = info->netif->stack;
    if (s->raw_pcbs == NULL) return false;
    ip_addr_t src = ip_addr_from_ip6(&info->ip.src), dst = ip_addr_from_ip6(&info->ip.dst);
    /* One checksum for all PCBs; the upper-layer length is what follows the
     * extension headers (RFC 8200 8.1). */
    int sum_ok = inet_chksum_pseudo6(p, info->proto, p->tot_len, &info->ip.src, &info->ip.dst, p->tot_len) == 0;
    return raw_offer(s, p, info->proto, &src, &dst, true, sum_ok);
}
