/*
 * Ethernet point-to-point link; see eth_p2p.h.
 *
 * Per direction, a frame from a port:
 *   1. refused if its payload exceeds the MTU (drop_mtu, not captured);
 *   2. tail-dropped if queue_frames frames already wait for the wire
 *      (drop_queue, not captured);
 *   3. starts onto the wire at max(now, when the wire frees), where it is
 *      captured (so frames lost on the wire are in the pcap) and takes
 *      len*8/rate to serialise;
 *   4. is lost with probability `loss` (drop_loss), otherwise arrives
 *      delay + jitter after its last bit left; without allow_reorder an
 *      arrival is never earlier than the previous one of that direction.
 * A frame that must wait is carried by a start event at its start time, so
 * the capture is written in time order across both directions.
 */
#include "eth_p2p.h"

#include <stdlib.h>

#include "node.h"
#include "pcap_writer.h"

#define DLT_EN10MB_VALUE 1
#define ETH_HEADER_LEN 14u

enum p2p_counter {
    C_FRAMES,          /* frames that went onto the wire, both directions */
    C_BYTES,
    C_FRAMES_AB,
    C_BYTES_AB,
    C_FRAMES_BA,
    C_BYTES_BA,
    C_DELIVERED,
    C_DELIVERED_BYTES,
    C_DROP,            /* all drops, any cause */
    C_DROP_LOSS,
    C_DROP_QUEUE,
    C_DROP_MTU,
    C_RX_NOMEM,        /* arrived, but the receiving stack had no pbuf */
    C_COUNT
};

static const char *const counter_names[C_COUNT] = {
    "frames", "bytes", "frames_ab", "bytes_ab", "frames_ba", "bytes_ba", "delivered", "delivered_bytes",
    "drop", "drop_loss", "drop_queue", "drop_mtu", "rx_nomem",
};

struct eth_p2p;

struct p2p_dir {
    struct eth_p2p *link;
    struct sim_port *from;
    struct sim_port *to;
    uint64_t wire_free_ns;     /* when the last accepted frame's last bit leaves */
    uint64_t last_arrival_ns;
    uint32_t waiting;          /* frames accepted but not yet on the wire */
    struct rng rng;            /* loss and jitter draws of this direction only,
                                * so traffic one way never shifts the other's */
    enum p2p_counter c_frames; /* this direction's counters */
    enum p2p_counter c_bytes;
};

struct eth_p2p {
    struct link base;          /* first: a struct link * is a struct eth_p2p * */
    struct eth_p2p_params params;
    struct p2p_dir dir[2];
    uint64_t counters[C_COUNT];
};

static void count_drop(struct eth_p2p *l, enum p2p_counter cause)
{
    l->counters[cause]++;
    l->counters[C_DROP]++;
}

/* Times saturate instead of wrapping: a frame "never" arrives rather than
 * arriving in the past when a rate or delay is absurdly large. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t serialisation_ns(const struct eth_p2p *l, size_t len)
{
    if (l->params.rate_bps == 0) return 0;
    /* Rounded up so that a frame always occupies the wire for a while;
     * 128-bit so that no frame length or rate can overflow. */
    __extension__ typedef unsigned __int128 u128;
    u128 bits_ns = (u128)len * 8u * 1000000000u;
    u128 ns = (bits_ns + l->params.rate_bps - 1) / l->params.rate_bps;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static void deliver_event(void *arg, void *payload, uint64_t aux)
{
    (void)aux;
    struct p2p_dir *d = arg;
    struct link_frame *f = payload;
    struct eth_p2p *l = d->link;
    if (sim_port_deliver(d->to, f->data, f->len) != 0) {
        count_drop(l, C_RX_NOMEM);
    } else {
        l->counters[C_DELIVERED]++;
        l->counters[C_DELIVERED_BYTES] += f->len;
    }
    free(f);
}

/* The frame's first bit goes onto the wire now. */
static void begin_tx(struct p2p_dir *d, struct link_frame *f, uint64_t ser_ns)
{
    struct eth_p2p *l = d->link;
    struct sim *sim = l->base.sim;
    uint64_t now = sim->now_ns;
    pcap_writer_write(l->base.pcap, now, f->data, f->len);
    l->counters[C_FRAMES]++;
    l->counters[C_BYTES] += f->len;
    l->counters[d->c_frames]++;
    l->counters[d->c_bytes] += f->len;
    if (l->params.loss > 0.0 && rng_uniform(&d->rng) < l->params.loss) {
        count_drop(l, C_DROP_LOSS);
        free(f);
        return;
    }
    uint64_t arrival = sat_add(sat_add(now, ser_ns), l->params.delay_ns);
    if (l->params.jitter_ns) arrival = sat_add(arrival, rng_range(&d->rng, 0, l->params.jitter_ns));
    if (!l->params.allow_reorder && arrival < d->last_arrival_ns) arrival = d->last_arrival_ns;
    d->last_arrival_ns = arrival;
    sim_schedule(sim, arrival, deliver_event, d, f, 0);
}

static void start_event(void *arg, void *payload, uint64_t ser_ns)
{
    struct p2p_dir *d = arg;
    d->waiting--;
    begin_tx(d, payload, ser_ns);
}

static int p2p_tx(void *linkp, struct sim_port *from, const uint8_t *frame, size_t len)
{
    struct eth_p2p *l = linkp;
    struct p2p_dir *d = from == l->dir[0].from ? &l->dir[0] : &l->dir[1];
    if (len > ETH_HEADER_LEN && len - ETH_HEADER_LEN > l->params.mtu) {
        count_drop(l, C_DROP_MTU);
        return -1;
    }
    uint64_t now = l->base.sim->now_ns;
    bool wire_busy = d->waiting > 0 || d->wire_free_ns > now;
    if (wire_busy && l->params.queue_frames && d->waiting >= l->params.queue_frames) {
        count_drop(l, C_DROP_QUEUE);
        return 0;
    }
    struct link_frame *f = link_frame_new(frame, len);
    if (f == NULL) {
        count_drop(l, C_DROP_QUEUE);
        return 0;
    }
    uint64_t start = d->wire_free_ns > now ? d->wire_free_ns : now;
    uint64_t ser = serialisation_ns(l, len);
    d->wire_free_ns = sat_add(start, ser);
    if (!wire_busy) {
        begin_tx(d, f, ser);
    } else {
        /* Same-instant events run in scheduling order, so the queue stays FIFO. */
        d->waiting++;
        if (sim_schedule(l->base.sim, start, start_event, d, f, ser) != 0) {
            d->waiting--;
            count_drop(l, C_DROP_QUEUE);
        }
    }
    return 0;
}

static int p2p_stat(const struct link *base, int index, const char **name, uint64_t *value)
{
    const struct eth_p2p *l = (const struct eth_p2p *)base;
    if (index < 0 || index >= C_COUNT) return 0;
    *name = counter_names[index];
    *value = l->counters[index];
    return 1;
}

static int p2p_ifindex(const struct link *base, const struct sim_node *node)
{
    const struct eth_p2p *l = (const struct eth_p2p *)base;
    for (int i = 0; i < 2; i++)
        if (l->dir[i].from->node == node) return l->dir[i].from->index;
    return -1;
}

static void p2p_destroy(struct link *base)
{
    free(base);
}

static const struct link_ops p2p_ops = {
    .kind = "eth_p2p",
    .stat = p2p_stat,
    .ifindex = p2p_ifindex,
    .destroy = p2p_destroy,
};

struct link *eth_p2p_new(struct sim *sim, struct sim_node *a, struct sim_node *b, const char *name,
                         const struct eth_p2p_params *params, const char *pcap_path, int *err)
{
    if (a == NULL || b == NULL || a == b || name == NULL || name[0] == '\0' || params == NULL ||
        !(params->loss >= 0.0 && params->loss <= 1.0) || a->sim != sim || b->sim != sim) {
        *err = LINK_EBADARG;
        return NULL;
    }
    struct eth_p2p *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        *err = LINK_ENOMEM;
        return NULL;
    }
    l->params = *params;
    if (l->params.mtu == 0) l->params.mtu = ETH_P2P_DEFAULT_MTU;
    int rc = link_init(&l->base, &p2p_ops, sim, name, pcap_path, DLT_EN10MB_VALUE);
    if (rc != 0) {
        free(l);
        *err = rc;
        return NULL;
    }
    struct sim_port *pa = sim_node_attach(a, l->params.mtu, p2p_tx, l);
    struct sim_port *pb = pa ? sim_node_attach(b, l->params.mtu, p2p_tx, l) : NULL;
    if (pb == NULL) {
        sim_node_detach_last(a, pa);
        link_fini(&l->base);
        free(l);
        *err = LINK_ENOPORT;
        return NULL;
    }
    l->dir[0] = (struct p2p_dir){.link = l, .from = pa, .to = pb, .c_frames = C_FRAMES_AB, .c_bytes = C_BYTES_AB};
    l->dir[1] = (struct p2p_dir){.link = l, .from = pb, .to = pa, .c_frames = C_FRAMES_BA, .c_bytes = C_BYTES_BA};
    /* Each direction's stream hangs off the link's own. */
    rng_seed(&l->dir[0].rng, rng_next_u64(&l->base.rng));
    rng_seed(&l->dir[1].rng, rng_next_u64(&l->base.rng));
    sim_port_set_up(pa);
    sim_port_set_up(pb);
    return &l->base;
}
