#ifndef SHOAL_ETHARP_PRIV_H
#define SHOAL_ETHARP_PRIV_H

struct pbuf;

/* A packet waiting for its next hop's address (one per POOL_ARP_QUEUE element). */
struct arp_qnode {
    struct arp_qnode *next;
    struct pbuf *p;
};

#endif
