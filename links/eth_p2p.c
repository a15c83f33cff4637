/*
 * Ethernet point-to-point link; see eth_p2p.h.
 *
 * Per direction, a frame from a port:
 *   1. is dropped while the link is down (drop_down, not captured);
 *   2. refused if its payload exceeds the MTU (drop_mtu, not captured);
 *   3. tail-dropped if queue_frames frames already wait for the wire
 *      (drop_queue, not captured);
 *   4. starts onto the wire at max(now, when the wire frees), where it is
 *      captured (so frames lost on the wire are in the pcap) and takes
 *      len*8/rate to serialise;
 *   5. is lost to the burst chain (drop_burst) or to independent loss
 *      (drop_loss), otherwise arrives delay + jitter after its last bit
 *      left; without allow_reorder an arrival is never earlier than the
 *      previous one of that direction;
 *   6. with probability `reorder` is held back reorder_delay more and is
 *      exempt from that rule (reordered), so later frames overtake it;
 *   7. with probability `duplicate` arrives twice: the copy comes in the
 *      same instant, right after the original (it takes no wire time of its
 *      own), and is impaired (corrupted) independently (duplicated);
 *   8. each arriving copy may get one flipped bit (`corrupt`) and bit
 *      errors (`ber`), only after the 14-byte Ethernet header so that the
 *      frame still reaches its port and the IP, ICMP, UDP and TCP checksums
 *      catch it (corrupted counts frames that got at least one). ARP has no
 *      checksum: a corrupted ARP frame is taken as it is.
 *
 * The pcap is the sender's view of the wire: each frame appears once, as
 * its sender put it on the wire, when its first bit left. What the link
 * does to it afterwards (loss, duplication, corruption, delay, reordering)
 * shows only in the counters and at the receiver. So tshark finds no bad
 * checksum in a capture of a corrupting link, and no duplicate either.
 * A frame on the wire when the link goes down was captured and is then
 * dropped (drop_down), as a lost one is; frames offered while it is down,
 * or still queued when it went down, never reach the wire or the pcap.
 *
 * Random draws, per direction and in this order, only for the impairments
 * that are on: burst chain, loss, jitter, reorder, duplicate, then per
 * arriving copy corrupt and ber. Drawn when the frame starts onto the wire.
 * A frame that must wait starts at its start time, so the capture is
 * written in time order across both directions.
 *
 * Speed: frames waiting for the wire, and frames in flight whose arrivals
 * keep their order, sit in two FIFOs per direction with one simulator event
 * each (for the head), so the event heap stays small however long the
 * queue; only a frame that arrives out of order (reorder, or jitter with
 * allow_reorder) gets an event of its own.
 */
#include "eth_p2p.h"

#include <stdlib.h>

#include "node.h"
#include "pcap_writer.h"
#include "shoal/netif.h"

#define DLT_EN10MB_VALUE 1
#define ETH_HEADER_LEN 14u

enum p2p_counter {
    C_FRAMES,          /* frames that went onto the wire, both directions */
    C_BYTES,
    C_FRAMES_AB,
    C_BYTES_AB,
    C_FRAMES_BA,
    C_BYTES_BA,
    C_DELIVERED,       /* copies handed to the receiving port (duplicates included) */
    C_DELIVERED_BYTES,
    C_DROP,            /* all drops, any cause */
    C_DROP_LOSS,
    C_DROP_QUEUE,
    C_DROP_MTU,
    C_RX_NOMEM,        /* arrived, but the receiving stack had no pbuf */
    C_DROP_BURST,      /* lost to the Gilbert–Elliott chain */
    C_DROP_DOWN,       /* offered, waiting or in flight while the link was down */
    C_DUPLICATED,      /* extra copies made */
    C_REORDERED,       /* frames held back by reorder_delay */
    C_CORRUPTED,       /* arriving copies with at least one flipped bit */
    C_BITS_FLIPPED,
    C_DOWN_EVENTS,     /* times the link went down */
    C_COUNT
};

static const char *const counter_names[C_COUNT] = {
    "frames", "bytes", "frames_ab", "bytes_ab", "frames_ba", "bytes_ba", "delivered", "delivered_bytes",
    "drop", "drop_loss", "drop_queue", "drop_mtu", "rx_nomem", "drop_burst", "drop_down", "duplicated",
    "reordered", "corrupted", "bits_flipped", "down_events",
};

struct eth_p2p;

struct p2p_dir {
    struct eth_p2p *link;
    struct sim_port *from;
    struct sim_port *to;
    struct eth_p2p_params params; /* this direction's; mtu is the link's */
    struct ge_state burst;
    uint64_t wire_free_ns;     /* when the last accepted frame's last bit leaves */
    uint64_t last_arrival_ns;
    uint32_t waiting;          /* frames accepted but not yet on the wire */
    struct link_frame *wait_head, *wait_tail; /* those frames, by start time */
    struct link_frame *fly_head, *fly_tail;   /* in flight, by arrival time */
    uint64_t wait_gen, fly_gen; /* a head event with an older generation is void */
    bool wait_event, fly_event; /* a head event is pending */
    struct rng rng;            /* impairment draws of this direction only,
                                * so traffic one way never shifts the other's */
    enum p2p_counter c_frames; /* this direction's counters */
    enum p2p_counter c_bytes;
};

struct eth_p2p {
    struct link base;          /* first: a struct link * is a struct eth_p2p * */
    uint32_t mtu;
    bool up;
    /* Incremented when the link goes down: a frame stamped with an older
     * epoch was waiting or in flight then, and is dropped. */
    uint64_t epoch;
    struct p2p_dir dir[2];
    uint64_t counters[C_COUNT];
};

static const struct link_ops p2p_ops;

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

static uint64_t serialisation_ns(const struct p2p_dir *d, size_t len)
{
    uint64_t rate = d->params.rate_bps;
    if (rate == 0) return 0;
    /* Rounded up so that a frame always occupies the wire for a while;
     * 128-bit so that no frame length or rate can overflow. */
    __extension__ typedef unsigned __int128 u128;
    u128 bits_ns = (u128)len * 8u * 1000000000u;
    u128 ns = (bits_ns + rate - 1) / rate;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static void deliver_frame(struct p2p_dir *d, struct link_frame *f);

static void deliver_event(void *arg, void *payload, uint64_t aux)
{
    (void)aux;
    deliver_frame(arg, payload);
}

static void fly_event(void *arg, void *payload, uint64_t gen);

static void fly_arm(struct p2p_dir *d)
{
    if (d->fly_event || d->fly_head == NULL) return;
    d->fly_event = true;
    if (sim_schedule(d->link->base.sim, d->fly_head->at_ns, fly_event, d, NULL, d->fly_gen) != 0) d->fly_event = false;
}

/* The head of the in-flight FIFO arrives. */
static void fly_event(void *arg, void *payload, uint64_t gen)
{
    (void)payload;
    struct p2p_dir *d = arg;
    if (gen != d->fly_gen) return;
    d->fly_event = false;
    struct link_frame *f = d->fly_head;
    if (f != NULL) {
        d->fly_head = f->next;
        if (d->fly_head == NULL) d->fly_tail = NULL;
        deliver_frame(d, f);
    }
    fly_arm(d);
}

static void fly_push(struct p2p_dir *d, struct link_frame *f, uint64_t arrival)
{
    f->at_ns = arrival;
    f->next = NULL;
    if (d->fly_tail != NULL && arrival < d->fly_tail->at_ns) {
        /* Out of order: it gets its own event. */
        sim_schedule(d->link->base.sim, arrival, deliver_event, d, f, 0);
        return;
    }
    if (d->fly_tail)
        d->fly_tail->next = f;
    else
        d->fly_head = f;
    d->fly_tail = f;
    fly_arm(d);
}

static void deliver_frame(struct p2p_dir *d, struct link_frame *f)
{
    struct eth_p2p *l = d->link;
    if (f->epoch != l->epoch) {
        count_drop(l, C_DROP_DOWN); /* on the wire when the cable was pulled */
    } else if (sim_port_deliver(d->to, f->data, f->len) != 0) {
        count_drop(l, C_RX_NOMEM);
    } else {
        l->counters[C_DELIVERED]++;
        l->counters[C_DELIVERED_BYTES] += f->len;
    }
    free(f);
}

static bool draw(struct p2p_dir *d, double probability)
{
    return probability > 0.0 && rng_uniform(&d->rng) < probability;
}

/* Bit corruption of one arriving copy (after the Ethernet header). */
static void corrupt_copy(struct p2p_dir *d, struct link_frame *f)
{
    struct eth_p2p *l = d->link;
    size_t flipped = 0;
    if (draw(d, d->params.corrupt)) flipped += impair_flip_one_bit(f->data, ETH_HEADER_LEN, f->len, &d->rng);
    if (d->params.ber > 0.0) flipped += impair_bit_errors(f->data, ETH_HEADER_LEN, f->len, d->params.ber, &d->rng);
    if (flipped) {
        l->counters[C_CORRUPTED]++;
        l->counters[C_BITS_FLIPPED] += flipped;
    }
}

/* The frame's first bit goes onto the wire now. */
static void begin_tx(struct p2p_dir *d, struct link_frame *f, uint64_t ser_ns)
{
    struct eth_p2p *l = d->link;
    struct sim *sim = l->base.sim;
    const struct eth_p2p_params *prm = &d->params;
    uint64_t now = sim->now_ns;
    pcap_writer_write(l->base.pcap, now, f->data, f->len);
    l->counters[C_FRAMES]++;
    l->counters[C_BYTES] += f->len;
    l->counters[d->c_frames]++;
    l->counters[d->c_bytes] += f->len;
    if (ge_enabled(&prm->burst) && ge_frame_lost(&prm->burst, &d->burst, &d->rng)) {
        count_drop(l, C_DROP_BURST);
        free(f);
        return;
    }
    if (draw(d, prm->loss)) {
        count_drop(l, C_DROP_LOSS);
        free(f);
        return;
    }
    uint64_t arrival = sat_add(sat_add(now, ser_ns), prm->delay_ns);
    if (prm->jitter_ns) arrival = sat_add(arrival, rng_range(&d->rng, 0, prm->jitter_ns));
    if (draw(d, prm->reorder)) {
        /* Held back and left out of the FIFO rule: what follows may pass. */
        arrival = sat_add(arrival, prm->reorder_delay_ns);
        l->counters[C_REORDERED]++;
    } else {
        if (!prm->allow_reorder && arrival < d->last_arrival_ns) arrival = d->last_arrival_ns;
        d->last_arrival_ns = arrival;
    }
    struct link_frame *copy = NULL;
    if (draw(d, prm->duplicate)) {
        copy = link_frame_new(f->data, f->len);
        if (copy != NULL) {
            copy->epoch = f->epoch;
            l->counters[C_DUPLICATED]++;
        }
    }
    corrupt_copy(d, f);
    if (copy != NULL) corrupt_copy(d, copy);
    /* The copy comes right after the original. */
    fly_push(d, f, arrival);
    if (copy != NULL) fly_push(d, copy, arrival);
}

static void wait_event(void *arg, void *payload, uint64_t gen);

static void wait_arm(struct p2p_dir *d)
{
    if (d->wait_event || d->wait_head == NULL) return;
    d->wait_event = true;
    uint64_t now = d->link->base.sim->now_ns;
    uint64_t at = d->wait_head->at_ns > now ? d->wait_head->at_ns : now;
    if (sim_schedule(d->link->base.sim, at, wait_event, d, NULL, d->wait_gen) != 0) d->wait_event = false;
}

/* The head of the waiting FIFO starts onto the wire. */
static void wait_event(void *arg, void *payload, uint64_t gen)
{
    (void)payload;
    struct p2p_dir *d = arg;
    if (gen != d->wait_gen) return;
    d->wait_event = false;
    struct link_frame *f = d->wait_head;
    if (f != NULL) {
        d->wait_head = f->next;
        if (d->wait_head == NULL) d->wait_tail = NULL;
        d->waiting--;
        begin_tx(d, f, f->ser_ns);
    }
    wait_arm(d);
}

/* Free a FIFO, counting its frames as drops of `cause`. */
static void drop_fifo(struct eth_p2p *l, struct link_frame **head, struct link_frame **tail, enum p2p_counter cause)
{
    while (*head != NULL) {
        struct link_frame *f = *head;
        *head = f->next;
        if (cause < C_COUNT) count_drop(l, cause);
        free(f);
    }
    *tail = NULL;
}

static int p2p_tx(void *linkp, struct sim_port *from, const uint8_t *frame, size_t len)
{
    struct eth_p2p *l = linkp;
    struct p2p_dir *d = from == l->dir[0].from ? &l->dir[0] : &l->dir[1];
    if (len > ETH_HEADER_LEN && len - ETH_HEADER_LEN > l->mtu) {
        count_drop(l, C_DROP_MTU);
        return -1;
    }
    if (!l->up) {
        /* No carrier: like a NIC with its cable out, the frame goes nowhere,
         * which is not the sender's error. */
        count_drop(l, C_DROP_DOWN);
        return 0;
    }
    uint64_t now = l->base.sim->now_ns;
    bool wire_busy = d->waiting > 0 || d->wire_free_ns > now;
    if (wire_busy && d->params.queue_frames && d->waiting >= d->params.queue_frames) {
        count_drop(l, C_DROP_QUEUE);
        return 0;
    }
    struct link_frame *f = link_frame_new(frame, len);
    if (f == NULL) {
        count_drop(l, C_DROP_QUEUE);
        return 0;
    }
    f->epoch = l->epoch;
    uint64_t start = d->wire_free_ns > now ? d->wire_free_ns : now;
    uint64_t ser = serialisation_ns(d, len);
    d->wire_free_ns = sat_add(start, ser);
    if (!wire_busy) {
        begin_tx(d, f, ser);
    } else {
        f->at_ns = start;
        f->ser_ns = ser;
        f->next = NULL;
        if (d->wait_tail)
            d->wait_tail->next = f;
        else
            d->wait_head = f;
        d->wait_tail = f;
        d->waiting++;
        wait_arm(d);
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
    struct eth_p2p *l = (struct eth_p2p *)base;
    for (int i = 0; i < 2; i++) {
        drop_fifo(l, &l->dir[i].wait_head, &l->dir[i].wait_tail, C_COUNT);
        drop_fifo(l, &l->dir[i].fly_head, &l->dir[i].fly_tail, C_COUNT);
    }
    free(base);
}

static const struct link_ops p2p_ops = {
    .kind = "eth_p2p",
    .stat = p2p_stat,
    .ifindex = p2p_ifindex,
    .destroy = p2p_destroy,
};

bool eth_p2p_is(const struct link *l)
{
    return l != NULL && l->ops == &p2p_ops;
}

bool eth_p2p_params_valid(const struct eth_p2p_params *p)
{
    return impair_prob_valid(p->loss) && ge_params_valid(&p->burst) && impair_prob_valid(p->duplicate) &&
           impair_prob_valid(p->reorder) && impair_prob_valid(p->corrupt) && impair_prob_valid(p->ber);
}

/* ---- scheduled changes ---- */

struct p2p_set_change {
    struct link_change base;   /* first: see link_at() */
    int dir;                   /* 0 or 1, or -1 for both */
    uint32_t fields;
    struct eth_p2p_params values;
};

static void set_fields(struct p2p_dir *d, uint32_t fields, const struct eth_p2p_params *v)
{
    struct eth_p2p_params *p = &d->params;
    if (fields & ETH_P2P_RATE) p->rate_bps = v->rate_bps;
    if (fields & ETH_P2P_DELAY) p->delay_ns = v->delay_ns;
    if (fields & ETH_P2P_JITTER) p->jitter_ns = v->jitter_ns;
    if (fields & ETH_P2P_LOSS) p->loss = v->loss;
    if (fields & ETH_P2P_QUEUE) p->queue_frames = v->queue_frames;
    if (fields & ETH_P2P_ALLOW_REORDER) p->allow_reorder = v->allow_reorder;
    if (fields & ETH_P2P_BURST) {
        p->burst = v->burst;
        d->burst.bad = false;
    }
    if (fields & ETH_P2P_DUPLICATE) p->duplicate = v->duplicate;
    if (fields & ETH_P2P_REORDER) {
        p->reorder = v->reorder;
        p->reorder_delay_ns = v->reorder_delay_ns;
    }
    if (fields & ETH_P2P_CORRUPT) p->corrupt = v->corrupt;
    if (fields & ETH_P2P_BER) p->ber = v->ber;
}

static void apply_set(struct link *base, struct link_change *c)
{
    struct eth_p2p *l = (struct eth_p2p *)base;
    struct p2p_set_change *s = (struct p2p_set_change *)c;
    for (int i = 0; i < 2; i++)
        if (s->dir < 0 || s->dir == i) set_fields(&l->dir[i], s->fields, &s->values);
}

static int dir_of(const struct eth_p2p *l, const struct sim_node *sender)
{
    if (sender == NULL) return -1;
    for (int i = 0; i < 2; i++)
        if (l->dir[i].from->node == sender) return i;
    return -2;
}

int eth_p2p_set(struct link *base, const struct sim_node *sender, uint32_t fields,
                const struct eth_p2p_params *values, uint64_t at_ns)
{
    if (!eth_p2p_is(base) || values == NULL || (fields & ~(uint32_t)ETH_P2P_ALL_FIELDS) != 0 ||
        !eth_p2p_params_valid(values))
        return LINK_EBADARG;
    struct eth_p2p *l = (struct eth_p2p *)base;
    int dir = dir_of(l, sender);
    if (dir == -2) return LINK_EBADARG;
    struct p2p_set_change *c = malloc(sizeof(*c));
    if (c == NULL) return LINK_ENOMEM;
    c->base.apply = apply_set;
    c->dir = dir;
    c->fields = fields;
    c->values = *values;
    return link_at(base, at_ns, &c->base);
}

int eth_p2p_get(const struct link *base, const struct sim_node *sender, struct eth_p2p_params *out)
{
    if (!eth_p2p_is(base) || out == NULL) return LINK_EBADARG;
    const struct eth_p2p *l = (const struct eth_p2p *)base;
    int dir = dir_of(l, sender);
    if (dir == -2) return LINK_EBADARG;
    *out = l->dir[dir < 0 ? 0 : dir].params;
    out->mtu = l->mtu;
    return 0;
}

struct p2p_up_change {
    struct link_change base;
    bool up;
};

/* What a driver reports when the carrier comes or goes (a stack sees link
 * up/down, a switch flushes what it learnt on the port). */
static void port_carrier(struct sim_port *port, bool up)
{
    sim_port_set_carrier(port, up);
}

static void apply_up(struct link *base, struct link_change *c)
{
    struct eth_p2p *l = (struct eth_p2p *)base;
    bool up = ((struct p2p_up_change *)c)->up;
    if (up == l->up) return;
    if (!up) {
        l->up = false;
        l->epoch++;
        l->counters[C_DOWN_EVENTS]++;
        /* The queue is flushed and the wire is dead: what waited or flew is
         * dropped now (frames with their own events, reordered ones, find an
         * old epoch when they arrive). */
        for (int i = 0; i < 2; i++) {
            struct p2p_dir *d = &l->dir[i];
            drop_fifo(l, &d->wait_head, &d->wait_tail, C_DROP_DOWN);
            drop_fifo(l, &d->fly_head, &d->fly_tail, C_DROP_DOWN);
            d->wait_gen++;
            d->fly_gen++;
            d->wait_event = d->fly_event = false;
            l->dir[i].waiting = 0;
            l->dir[i].wire_free_ns = base->sim->now_ns;
            l->dir[i].last_arrival_ns = 0;
        }
        for (int i = 0; i < 2; i++) port_carrier(l->dir[i].from, false);
    } else {
        /* Up first, so what the stacks send on link up (RFC 5227 2.3
         * announcements) reaches the wire. */
        l->up = true;
        for (int i = 0; i < 2; i++) port_carrier(l->dir[i].from, true);
    }
}

int eth_p2p_set_up(struct link *base, bool up, uint64_t at_ns)
{
    if (!eth_p2p_is(base)) return LINK_EBADARG;
    struct p2p_up_change *c = malloc(sizeof(*c));
    if (c == NULL) return LINK_ENOMEM;
    c->base.apply = apply_up;
    c->up = up;
    return link_at(base, at_ns, &c->base);
}

bool eth_p2p_is_up(const struct link *base)
{
    return eth_p2p_is(base) && ((const struct eth_p2p *)base)->up;
}

/* ---- creation ---- */

struct link *eth_p2p_new(struct sim *sim, struct sim_node *a, struct sim_node *b, const char *name,
                         const struct eth_p2p_params *params, const char *pcap_path, int *err)
{
    if (a == NULL || b == NULL || a == b || name == NULL || name[0] == '\0' || params == NULL ||
        !eth_p2p_params_valid(params) || a->sim != sim || b->sim != sim) {
        *err = LINK_EBADARG;
        return NULL;
    }
    struct eth_p2p *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        *err = LINK_ENOMEM;
        return NULL;
    }
    l->mtu = params->mtu ? params->mtu : ETH_P2P_DEFAULT_MTU;
    l->up = true;
    int rc = link_init(&l->base, &p2p_ops, sim, name, pcap_path, DLT_EN10MB_VALUE);
    if (rc != 0) {
        free(l);
        *err = rc;
        return NULL;
    }
    struct sim_port *pa = sim_node_attach(a, l->mtu, p2p_tx, l);
    struct sim_port *pb = pa ? sim_node_attach(b, l->mtu, p2p_tx, l) : NULL;
    if (pb == NULL) {
        sim_node_detach_last(a, pa);
        link_fini(&l->base);
        free(l);
        *err = LINK_ENOPORT;
        return NULL;
    }
    l->dir[0] = (struct p2p_dir){.link = l, .from = pa, .to = pb, .c_frames = C_FRAMES_AB, .c_bytes = C_BYTES_AB};
    l->dir[1] = (struct p2p_dir){.link = l, .from = pb, .to = pa, .c_frames = C_FRAMES_BA, .c_bytes = C_BYTES_BA};
    for (int i = 0; i < 2; i++) {
        l->dir[i].params = *params;
        l->dir[i].params.mtu = l->mtu;
    }
    /* Each direction's stream hangs off the link's own. */
    rng_seed(&l->dir[0].rng, rng_next_u64(&l->base.rng));
    rng_seed(&l->dir[1].rng, rng_next_u64(&l->base.rng));
    sim_port_set_up(pa);
    sim_port_set_up(pb);
    return &l->base;
}
