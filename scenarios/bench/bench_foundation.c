/*
 * Foundation benchmarks (issue 2, bench): the event engine, UDP through two
 * stacks, and what idle stack instances cost. One part per process, so each
 * resident-memory figure starts from a clean slate:
 *
 *   bench_foundation engine [--events N] [--pending K]
 *       the simulator alone: K self-rescheduling events, N events run.
 *   bench_foundation udp [--packets N] [--payload B] [--rate-bps R] [--burst K]
 *       a UDP flood from node a to node b over one fast link; every datagram
 *       is built, checksummed, framed, carried, parsed, verified, delivered.
 *   bench_foundation nodes [--nodes N]
 *       N idle stack nodes made the way shoal.Sim.node() makes them.
 *   bench_foundation pairs [--nodes N]
 *       N nodes as N/2 linked pairs with addresses, after 1 s of virtual
 *       time (their gratuitous ARPs), then idle.
 *
 * Prints one JSON object on stdout; run_all.py reads it.
 */
#include "bench_util.h"

#include "shoal/pbuf.h"
#include "shoal/udp.h"

/* ---- engine: the event queue and clock alone ---- */

struct chain {
    struct sim *sim;
    uint64_t step_ns;
    uint64_t left;
};

static void chain_event(void *arg, void *payload, uint64_t aux)
{
    (void)payload;
    (void)aux;
    struct chain *c = arg;
    if (c->left == 0) return;
    c->left--;
    sim_schedule(c->sim, c->sim->now_ns + c->step_ns, chain_event, c, NULL, 0);
}

static int part_engine(int argc, char **argv)
{
    uint64_t events = 20000000u, pending = 1000u;
    bench_arg_u64(argc, argv, "--events", &events);
    bench_arg_u64(argc, argv, "--pending", &pending);
    if (pending == 0) pending = 1;
    struct sim *sim = sim_new(1);
    struct chain *chains = calloc(pending, sizeof(*chains));
    if (sim == NULL || chains == NULL) return 2;
    for (uint64_t i = 0; i < pending; i++) {
        /* Distinct periods (1..997 ns) keep the heap shuffling, as real
         * links and timers do. */
        chains[i] = (struct chain){.sim = sim, .step_ns = 1u + (i * 7919u) % 997u, .left = events / pending};
        sim_schedule(sim, chains[i].step_ns, chain_event, &chains[i], NULL, 0);
    }
    double c0 = bench_cpu_s(), w0 = bench_wall_s();
    sim_run_until(sim, UINT64_MAX - 1);
    double wall = bench_wall_s() - w0, cpu = bench_cpu_s() - c0;
    uint64_t run = sim_events_run(sim);
    struct bench_json j;
    bench_json_begin(&j, stdout);
    bench_json_str(&j, "bench", "engine");
    bench_json_bool(&j, "ok", true);
    bench_json_u64(&j, "pending", pending);
    bench_json_u64(&j, "events", run);
    bench_json_num(&j, "wall_s", wall);
    bench_json_num(&j, "cpu_s", cpu);
    bench_json_num(&j, "events_per_wall_s", (double)run / wall);
    bench_json_num(&j, "events_per_cpu_s", (double)run / cpu);
    bench_json_end(&j);
    sim_free(sim);
    free(chains);
    return 0;
}

/* ---- udp: a flood through two stacks ---- */

struct flood {
    struct sim *sim;
    struct sim_node *node;
    struct udp_pcb *pcb;
    ip4_addr_t dst;
    uint64_t left;
    uint64_t burst;
    uint64_t interval_ns;
    size_t payload;
    uint64_t sent, send_errors;
    /* receiver */
    uint64_t received, received_bytes, bad;
};

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)pcb;
    (void)addr;
    (void)port;
    struct flood *f = arg;
    f->received++;
    f->received_bytes += p->tot_len;
    if (p->tot_len != f->payload) f->bad++;
    pbuf_free(p);
}

/* The sender application: a burst of datagrams, then sleep one interval. */
static void flood_event(void *arg, void *payload, uint64_t aux)
{
    (void)payload;
    (void)aux;
    struct flood *f = arg;
    struct stack *st = f->node->stack;
    for (uint64_t i = 0; i < f->burst && f->left > 0; i++, f->left--) {
        struct pbuf *p = pbuf_alloc(st, PBUF_TRANSPORT, f->payload);
        if (p == NULL) {
            f->send_errors++;
            continue;
        }
        /* The sequence number in the first bytes, so no two are alike. */
        uint8_t head[8] = {0};
        for (int k = 0; k < 8; k++) head[k] = (uint8_t)(f->sent >> (8 * k));
        pbuf_take(p, head, f->payload < 8 ? f->payload : 8);
        ip_addr_t dst = ip_addr_from_ip4(f->dst);
        if (udp_sendto(f->pcb, p, &dst, 9) == ERR_OK)
            f->sent++;
        else
            f->send_errors++;
        pbuf_free(p);
    }
    sim_node_kick(f->node);
    if (f->left > 0) sim_schedule(f->sim, f->sim->now_ns + f->interval_ns, flood_event, f, NULL, 0);
}

static int part_udp(int argc, char **argv)
{
    uint64_t packets = 2000000u, payload = 64u, rate = 10000000000ull, burst = 16u;
    bench_arg_u64(argc, argv, "--packets", &packets);
    bench_arg_u64(argc, argv, "--payload", &payload);
    bench_arg_u64(argc, argv, "--rate-bps", &rate);
    bench_arg_u64(argc, argv, "--burst", &burst);
    if (payload > 1472u || burst == 0 || rate == 0) return 2;
    struct sim *sim = sim_new(1);
    struct stack_config cfg;
    /* What sim.node() gets: a burst waits in the link, not the stack. */
    sim_node_config_default(&cfg, false);
    struct sim_node *a = bench_node_new(sim, "a", &cfg);
    struct sim_node *b = bench_node_new(sim, "b", &cfg);
    struct eth_p2p_params lp = {.rate_bps = rate, .delay_ns = 10000u};
    struct netif *na, *nb;
    struct link *link = bench_p2p(sim, a, b, &lp, NULL, &na, &nb);
    (void)na;
    (void)nb;

    static struct flood f;
    f.sim = sim;
    f.node = a;
    f.dst = ip4_addr_make(10, 0, 0, 2);
    f.payload = payload;
    f.burst = burst;
    /* Offer 90% of the link: the wire stays busy but its queue bounded. */
    uint64_t frame = 14u + 20u + 8u + (payload < 18u ? 18u : payload);
    f.interval_ns = burst * frame * 8u * 1000000000ull / rate * 10u / 9u;
    f.pcb = udp_new(a->stack);
    struct udp_pcb *rx = udp_new(b->stack);
    ip_addr_t any = ip_addr_any(IPADDR_TYPE_V4);
    if (f.pcb == NULL || rx == NULL || udp_bind(f.pcb, &any, 40000) != ERR_OK || udp_bind(rx, &any, 9) != ERR_OK)
        return 2;
    udp_recv(rx, on_udp, &f);

    /* Warm up: one datagram resolves the peer's MAC (ARP) outside the clock. */
    f.left = 1;
    f.burst = 1;
    sim_schedule(sim, 1000000u, flood_event, &f, NULL, 0);
    sim_run_until(sim, 20000000u);
    uint64_t warm = f.received;
    f.burst = burst;
    f.left = packets;
    uint64_t ev0 = sim_events_run(sim), t0 = sim_now(sim);
    sim_schedule(sim, t0, flood_event, &f, NULL, 0);
    double c0 = bench_cpu_s(), w0 = bench_wall_s();
    while (f.received - warm < packets && sim_step(sim, UINT64_MAX - 1)) {
    }
    double wall = bench_wall_s() - w0, cpu = bench_cpu_s() - c0;
    uint64_t got = f.received - warm, events = sim_events_run(sim) - ev0;
    struct bench_json j;
    bench_json_begin(&j, stdout);
    bench_json_str(&j, "bench", "udp_flood");
    bench_json_bool(&j, "ok", got == packets && f.bad == 0);
    bench_json_u64(&j, "packets", packets);
    bench_json_u64(&j, "received", got);
    bench_json_u64(&j, "bad", f.bad);
    bench_json_u64(&j, "send_errors", f.send_errors);
    bench_json_u64(&j, "payload", payload);
    bench_json_u64(&j, "frame_bytes", frame);
    bench_json_u64(&j, "rate_bps", rate);
    bench_json_u64(&j, "burst", burst);
    bench_json_num(&j, "sim_s", (double)(sim_now(sim) - t0) * 1e-9);
    bench_json_num(&j, "wall_s", wall);
    bench_json_num(&j, "cpu_s", cpu);
    bench_json_u64(&j, "events", events);
    bench_json_num(&j, "packets_per_wall_s", (double)got / wall);
    bench_json_num(&j, "packets_per_cpu_s", (double)got / cpu);
    bench_json_num(&j, "events_per_wall_s", (double)events / wall);
    bench_json_u64(&j, "link_drops", bench_link_counter(link, "drop"));
    bench_json_u64(&j, "rx_nomem", bench_link_counter(link, "rx_nomem"));
    bench_json_end(&j);
    sim_free(sim);
    link_free(link);
    return got == packets ? 0 : 1;
}

/* ---- nodes: idle instances ---- */

static int part_nodes(int argc, char **argv, bool pairs)
{
    uint64_t count = 10000u;
    bench_arg_u64(argc, argv, "--nodes", &count);
    if (pairs) count &= ~(uint64_t)1;
    struct sim *sim = sim_new(1);
    struct link **links = calloc(count / 2 + 1, sizeof(*links));
    if (sim == NULL || links == NULL) return 2;
    /* What sim.node() builds. */
    struct stack_config cfg;
    sim_node_config_default(&cfg, false);
    size_t instance = stack_memory_size(&cfg);
    uint64_t rss0 = bench_rss_bytes();
    double c0 = bench_cpu_s(), w0 = bench_wall_s();
    char name[32];
    uint64_t made = 0;
    size_t nlinks = 0;
    for (uint64_t i = 0; i < count; i++) {
        snprintf(name, sizeof(name), "n%llu", (unsigned long long)i);
        int err = 0;
        struct sim_node *n = sim_node_new_stack(sim, name, false, &err);
        if (n == NULL) break;
        made++;
        if (pairs && (i & 1u)) {
            struct sim_node *prev = sim->nodes[sim->node_count - 2];
            struct eth_p2p_params lp = {.rate_bps = 100000000u, .delay_ns = 1000000u};
            snprintf(name, sizeof(name), "l%llu", (unsigned long long)i / 2);
            struct link *l = eth_p2p_new(sim, prev, n, name, &lp, NULL, &err);
            if (l == NULL) break;
            links[nlinks++] = l;
            ip4_addr_t mask = ip4_netmask_from_prefix(30), gw = {0};
            uint32_t base = 0x0a000000u + (uint32_t)(i / 2) * 4u;
            ip4_addr_t ia = ip4_addr_from_u32(base + 1u), ib = ip4_addr_from_u32(base + 2u);
            netif_set_ip4(sim_node_port(prev, link_ifindex(l, prev))->netif, &ia, &mask, &gw);
            netif_set_ip4(sim_node_port(n, link_ifindex(l, n))->netif, &ib, &mask, &gw);
            sim_node_kick(prev);
            sim_node_kick(n);
        }
    }
    double create_wall = bench_wall_s() - w0, create_cpu = bench_cpu_s() - c0;
    uint64_t rss1 = bench_rss_bytes();
    uint64_t ev0 = sim_events_run(sim);
    double run_wall = 0;
    if (pairs) {
        double r0 = bench_wall_s();
        sim_run_until(sim, 1000000000u);
        run_wall = bench_wall_s() - r0;
    }
    uint64_t rss2 = bench_rss_bytes();
    uint64_t pending = sim->queue.len;
    struct bench_json j;
    bench_json_begin(&j, stdout);
    bench_json_str(&j, "bench", pairs ? "idle_pairs" : "idle_nodes");
    bench_json_bool(&j, "ok", made == count);
    bench_json_u64(&j, "nodes", made);
    bench_json_u64(&j, "links", nlinks);
    bench_json_u64(&j, "stack_memory_size", instance);
    bench_json_num(&j, "create_wall_s", create_wall);
    bench_json_num(&j, "create_cpu_s", create_cpu);
    bench_json_num(&j, "nodes_per_wall_s", (double)made / create_wall);
    bench_json_u64(&j, "rss_before", rss0);
    bench_json_u64(&j, "rss_after_create", rss1);
    bench_json_u64(&j, "rss_after_run", rss2);
    bench_json_num(&j, "rss_per_node", made ? (double)(rss2 - rss0) / (double)made : 0.0);
    bench_json_num(&j, "run_wall_s", run_wall);
    bench_json_u64(&j, "events_run", sim_events_run(sim) - ev0);
    bench_json_u64(&j, "events_pending_after", pending);
    bench_json_end(&j);
    sim_free(sim);
    for (size_t i = 0; i < nlinks; i++) link_free(links[i]);
    free(links);
    return made == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "";
    if (strcmp(part, "engine") == 0) return part_engine(argc, argv);
    if (strcmp(part, "udp") == 0) return part_udp(argc, argv);
    if (strcmp(part, "nodes") == 0) return part_nodes(argc, argv, false);
    if (strcmp(part, "pairs") == 0) return part_nodes(argc, argv, true);
    fprintf(stderr, "usage: bench_foundation engine|udp|nodes|pairs [--option value ...]\n");
    return 2;
}
