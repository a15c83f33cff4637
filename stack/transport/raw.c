/* Raw IP PCBs: whole protocols to and from applications (ping, probes). */
#include <string.h>

#include "shoal/raw.h"
#include "shoal/ip4.h"
#include "shoal/pbuf.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"

struct raw_pcb *raw_new(struct stack *s, uint8_t protocol)
{
    struct raw_pcb *pcb = pool_alloc(&s->pools[POOL_RAW_PCB]);
    if (pcb == NULL) return NULL;
    memset(pcb, 0, sizeof(*pcb));
    pcb->stack = s;
    pcb->protocol = protocol;
    pcb->ttl = s->cfg.ip_default_ttl;
    /* Append: delivery order follows creation order. */
    struct raw_pcb **pp = &s->raw_pcbs;
    while (*pp != NULL) pp = &(*pp)->next;
    *pp = pcb;
    return pcb;
}

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

err_t raw_bind(struct raw_pcb *pcb, const ip4_addr_t *ip)
{
    pcb->local_ip.addr = ip != NULL ? ip->addr : 0;
    return ERR_OK;
}

err_t raw_connect(struct raw_pcb *pcb, const ip4_addr_t *ip)
{
    if (ip == NULL) return ERR_VAL;
    pcb->remote_ip = *ip;
    pcb->connected = true;
    return ERR_OK;
}

void raw_recv(struct raw_pcb *pcb, raw_recv_fn fn, void *arg)
{
    pcb->recv = fn;
    pcb->recv_arg = arg;
}

err_t raw_sendto(struct raw_pcb *pcb, struct pbuf *p, const ip4_addr_t *dst)
{
    if (pcb == NULL || p == NULL || dst == NULL) return ERR_ARG;
    err_t err = ip4_output(pcb->stack, p, &pcb->local_ip, dst, pcb->ttl, pcb->tos, pcb->protocol);
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

bool raw_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    if (s->raw_pcbs == NULL) return false;
    /* Callbacks see the packet from its IP header on (lwIP's convention). */
    if (pbuf_add_header(p, info->ip.ihl_bytes) != ERR_OK) return false;
    struct raw_pcb *pcb = s->raw_pcbs;
    while (pcb != NULL) {
        struct raw_pcb *next = pcb->next;
        if (pcb->protocol == info->ip.proto && pcb->recv != NULL &&
            (pcb->local_ip.addr == 0 || pcb->local_ip.addr == info->ip.dst.addr) &&
            (!pcb->connected || pcb->remote_ip.addr == info->ip.src.addr)) {
            if (pcb->recv(pcb->recv_arg, pcb, p, &info->ip.src)) {
                STATS_INC(s, STATS_RAW, recv);
                return true;
            }
            /* The callback may have removed PCBs: go on only to one still listed. */
            if (!raw_listed(s, next)) break;
        }
        pcb = next;
    }
    pbuf_remove_header(p, info->ip.ihl_bytes);
    return false;
}
