/* Ethernet II framing: input filtering and demultiplexing, output with padding. */
#include <string.h>

#include "shoal/ethernet.h"
#include "shoal/etharp.h"
#include "shoal/ip4.h"
#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"

err_t eth_parse(const uint8_t *p, size_t len, struct eth_repr *out)
{
    if (p == NULL || len < ETH_HDR_LEN) return ERR_BUF;
    memcpy(out->dst.addr, p, ETH_HWADDR_LEN);
    memcpy(out->src.addr, p + 6, ETH_HWADDR_LEN);
    out->ethertype = rd16be(p + 12);
    return ERR_OK;
}

void eth_emit(const struct eth_repr *r, uint8_t *p)
{
    memcpy(p, r->dst.addr, ETH_HWADDR_LEN);
    memcpy(p + 6, r->src.addr, ETH_HWADDR_LEN);
    wr16be(p + 12, r->ethertype);
}

err_t ethernet_input(struct pbuf *p, struct netif *netif)
{
    struct stack *s = netif->stack;
    struct eth_repr eth;
    if (eth_parse(pbuf_contig(p, ETH_HDR_LEN), p->len, &eth) != ERR_OK) {
        STATS_DROP(s, STATS_LINK, lenerr);
        pbuf_free(p);
        return ERR_OK;
    }
    /* A multicast source address is never valid (IEEE 802.3 3.2.3). */
    if (eth_addr_is_multicast(&eth.src)) {
        STATS_DROP(s, STATS_LINK, proterr);
        pbuf_free(p);
        return ERR_OK;
    }
    if (eth_addr_is_broadcast(&eth.dst)) {
        p->flags |= PBUF_FLAG_LL_BROADCAST;
    } else if (eth_addr_is_multicast(&eth.dst)) {
        p->flags |= PBUF_FLAG_LL_MULTICAST;
    } else if (memcmp(eth.dst.addr, netif->hwaddr, ETH_HWADDR_LEN) != 0) {
        STATS_INC(s, STATS_LINK, drop); /* another station's frame (a hub or a flooding switch) */
        pbuf_free(p);
        return ERR_OK;
    }
    STATS_INC(s, STATS_LINK, recv);
    pbuf_remove_header(p, ETH_HDR_LEN);
    switch (eth.ethertype) {
    case ETHTYPE_IP4: ip4_input(p, netif); break;
    case ETHTYPE_ARP: etharp_input(p, netif); break;
#if SHOAL_IPV6
    case ETHTYPE_IP6: ip6_input(p, netif); break;
#endif
    default:
        STATS_DROP(s, STATS_LINK, proterr);
        pbuf_free(p);
        break;
    }
    return ERR_OK;
}

err_t ethernet_output(struct netif *netif, struct pbuf *p, const struct eth_addr *src, const struct eth_addr *dst,
                      uint16_t ethertype)
{
    struct stack *s = netif->stack;
    size_t orig_len = p->tot_len;
    if (pbuf_add_header(p, ETH_HDR_LEN) != ERR_OK) {
        STATS_INC(s, STATS_LINK, err);
        return ERR_BUF;
    }
    struct eth_repr eth = {.dst = *dst, .src = *src, .ethertype = ethertype};
    eth_emit(&eth, p->payload);

    /* Pad short frames with zeros to the minimum length (IEEE 802.3 4.2.3.3),
     * in the tail of the last segment or in an extra one. */
    if (p->tot_len < ETH_MIN_FRAME_LEN) {
        size_t pad = ETH_MIN_FRAME_LEN - p->tot_len;
        struct pbuf *last = p;
        while (last->next != NULL) last = last->next;
        if (pbuf_tailroom(last) >= pad) {
            memset(last->payload + last->len, 0, pad);
            for (struct pbuf *q = p; q != NULL; q = q->next) q->tot_len += pad;
            last->len += pad;
        } else {
            struct pbuf *z = pbuf_alloc(s, PBUF_RAW, pad);
            if (z == NULL) {
                pbuf_remove_header(p, ETH_HDR_LEN);
                STATS_INC(s, STATS_LINK, memerr);
                return ERR_MEM;
            }
            for (struct pbuf *q = z; q != NULL; q = q->next) memset(q->payload, 0, q->len);
            pbuf_cat(p, z);
        }
    }
    err_t err = netif->linkoutput != NULL ? netif->linkoutput(netif, p) : ERR_IF;
    if (err == ERR_OK)
        STATS_INC(s, STATS_LINK, xmit);
    else
        STATS_INC(s, STATS_LINK, err);
    /* Give the caller its packet back as it was. */
    pbuf_realloc(p, orig_len + ETH_HDR_LEN);
    pbuf_remove_header(p, ETH_HDR_LEN);
    return err;
}
