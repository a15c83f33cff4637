/*
 * TCP bulk transfer between two Shoal stacks over one Ethernet
 * point-to-point link (issue 3, bench): how many simulated payload bytes and
 * events one wall-clock second buys.
 *
 * The receiver checks every byte against the pattern the sender wrote
 * (byte i of the stream is i mod 251, a prime, so segment boundaries never
 * line up with the period), so a fast but wrong run cannot pass. The
 * applications are raw-API callbacks, as on a microcontroller: the sender
 * refills its buffer from the sent callback, the receiver consumes in its
 * recv callback and reopens the window at once.
 *
 * Prints one JSON object on stdout; run_all.py reads it.
 *
 *   bench_tcp [--bytes N] [--rate-bps R] [--delay-ns D] [--wnd W] [--sndbuf S]
 *             [--queue Q] [--loss-ppm L] [--seed X] [--ooseq SEGS] [--pcap FILE] [--no-verify]
 */
#include "bench_util.h"

#include "shoal/pbuf.h"
#include "shoal/tcp.h"

#define PATTERN_PERIOD 251u
#define WRITE_CHUNK (64u * 1024u)
#define BENCH_PORT 5001u

struct sender {
    struct tcp_pcb *pcb;
    uint64_t total;
    uint64_t written;
    uint8_t *pattern;   /* WRITE_CHUNK + PATTERN_PERIOD bytes of the pattern */
    uint64_t write_calls;
};

struct receiver {
    struct tcp_pcb *pcb;
    uint64_t total;
    uint64_t received;
    bool verify;
    const uint8_t *pattern;
    uint64_t corrupt_at;  /* first bad stream offset + 1, 0 if none */
    bool all_in;
    bool fin_seen;
    uint64_t all_in_ns;
    err_t error;
    const struct sim *sim;
};

static void pump(struct sender *s)
{
    while (s->written < s->total) {
        size_t room = tcp_sndbuf(s->pcb);
        uint64_t left = s->total - s->written;
        size_t n = room < WRITE_CHUNK ? room : WRITE_CHUNK;
        if (n > left) n = (size_t)left;
        /* Tiny leftovers of room wait for a bigger ACK: fewer, fuller writes. */
        if (n == 0 || (n < 1448u && n < left)) break;
        const uint8_t *data = s->pattern + s->written % PATTERN_PERIOD;
        uint8_t flags = n < left ? TCP_WRITE_FLAG_MORE : 0;
        err_t e;
        while ((e = tcp_write(s->pcb, data, n, flags)) == ERR_MEM && n > 1448u) n /= 2; /* segment pool short */
        if (e != ERR_OK) break;
        s->written += n;
        s->write_calls++;
    }
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, size_t len)
{
    (void)pcb;
    (void)len;
    pump(arg);
    return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)pcb;
    if (err != ERR_OK) return err;
    pump(arg);
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    struct receiver *r = arg;
    if (p == NULL) {
        r->fin_seen = true;
        return ERR_OK;
    }
    if (r->verify && r->corrupt_at == 0) {
        uint64_t off = r->received;
        for (const struct pbuf *q = p; q != NULL; q = q->next) {
            if (memcmp(q->payload, r->pattern + off % PATTERN_PERIOD, q->len) != 0) {
                size_t i = 0;
                while (q->payload[i] == r->pattern[(off + i) % PATTERN_PERIOD]) i++;
                r->corrupt_at = off + i + 1;
                break;
            }
            off += q->len;
        }
    }
    size_t n = p->tot_len;
    r->received += n;
    tcp_recved(pcb, n);
    pbuf_free(p);
    if (r->received >= r->total && !r->all_in) {
        r->all_in = true;
        r->all_in_ns = sim_now(r->sim);
    }
    return ERR_OK;
}

static void on_rx_err(void *arg, err_t err)
{
    struct receiver *r = arg;
    r->pcb = NULL;
    r->error = err;
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    (void)err;
    struct receiver *r = arg;
    r->pcb = newpcb;
    tcp_arg(newpcb, r);
    tcp_recv(newpcb, on_recv);
    tcp_err(newpcb, on_rx_err);
    return ERR_OK;
}

static void configure(struct stack_config *cfg, uint64_t wnd, uint64_t sndbuf, uint64_t ooseq)
{
    sim_node_config_default(cfg, false);
    cfg->tcp_wnd = (uint32_t)wnd;
    cfg->tcp_snd_buf = (uint32_t)sndbuf;
    /* The receiver may hold a whole window out of order (as Linux does);
     * the default (32 segments) would drop most of a 1 MiB window behind a
     * loss and starve the sender of SACK information. */
    cfg->tcp_ooseq_max = ooseq ? (uint32_t)ooseq : (uint32_t)(wnd / 1448u) + 16u;
    /* Every queued or unacknowledged segment holds a segment element and a
     * pbuf on the sender; out-of-order segments hold them on the receiver.
     * Both nodes get the same configuration. */
    uint32_t segs = (uint32_t)(sndbuf / 1448u) + 64u;
    if (segs < cfg->tcp_ooseq_max + 64u) segs = cfg->tcp_ooseq_max + 64u;
    cfg->tcp_seg_count = segs;
    cfg->pbuf_count = segs + 64u;
    /* A 1 ms link makes RTTs of milliseconds: RFC 6298's 1 s floor would
     * turn any timeout into a long stall (Linux uses 200 ms). */
    cfg->tcp_rto_min_ms = 200;
}

int main(int argc, char **argv)
{
    uint64_t bytes = 100000000u, rate = 1000000000u, delay = 1000000u, wnd = 1u << 20, sndbuf = 1u << 20;
    uint64_t queue = 1000u, loss_ppm = 0, seed = 1, ooseq = 0;
    bench_arg_u64(argc, argv, "--bytes", &bytes);
    bench_arg_u64(argc, argv, "--rate-bps", &rate);
    bench_arg_u64(argc, argv, "--delay-ns", &delay);
    bench_arg_u64(argc, argv, "--wnd", &wnd);
    bench_arg_u64(argc, argv, "--sndbuf", &sndbuf);
    bench_arg_u64(argc, argv, "--queue", &queue);
    bench_arg_u64(argc, argv, "--loss-ppm", &loss_ppm);
    bench_arg_u64(argc, argv, "--seed", &seed);
    bench_arg_u64(argc, argv, "--ooseq", &ooseq);
    const char *pcap = bench_arg_str(argc, argv, "--pcap");
    bool verify = !bench_arg_flag(argc, argv, "--no-verify");
    if (bytes == 0 || wnd < 1460 || sndbuf < 1460 || wnd > (65535ull << 14) || sndbuf > UINT32_MAX) {
        fprintf(stderr, "bench_tcp: bad sizes\n");
        return 2;
    }

    static struct sender tx;
    static struct receiver rx;
    tx.total = rx.total = bytes;
    tx.pattern = malloc(WRITE_CHUNK + PATTERN_PERIOD);
    if (tx.pattern == NULL) return 2;
    for (size_t i = 0; i < WRITE_CHUNK + PATTERN_PERIOD; i++) tx.pattern[i] = (uint8_t)(i % PATTERN_PERIOD);
    rx.pattern = tx.pattern;
    rx.verify = verify;

    double setup_t0 = bench_wall_s();
    struct sim *sim = sim_new(seed);
    rx.sim = sim;
    struct stack_config cfg;
    configure(&cfg, wnd, sndbuf, ooseq);
    struct sim_node *a = bench_node_new(sim, "a", &cfg);
    struct sim_node *b = bench_node_new(sim, "b", &cfg);
    struct eth_p2p_params lp = {.rate_bps = rate, .delay_ns = delay, .queue_frames = (uint32_t)queue,
                                .loss = (double)loss_ppm / 1e6};
    struct netif *na, *nb;
    struct link *link = bench_p2p(sim, a, b, &lp, pcap, &na, &nb);
    (void)na;
    (void)nb;
    /* Let the gratuitous ARPs go by before the clock starts. */
    sim_run_until(sim, 10000000u);

    struct tcp_pcb *lpcb = tcp_new(b->stack);
    ip_addr_t any = ip_addr_any(IPADDR_TYPE_V4);
    if (lpcb == NULL || tcp_bind(lpcb, &any, BENCH_PORT) != ERR_OK) return 2;
    lpcb = tcp_listen(lpcb);
    tcp_arg(lpcb, &rx);
    tcp_accept(lpcb, on_accept);
    sim_node_kick(b);

    tx.pcb = tcp_new(a->stack);
    tcp_arg(tx.pcb, &tx);
    tcp_sent(tx.pcb, on_sent);
    ip_addr_t dst = ip_addr_from_ip4(ip4_addr_make(10, 0, 0, 2));
    double setup_s = bench_wall_s() - setup_t0;

    uint64_t ev0 = sim_events_run(sim);
    uint64_t t0_ns = sim_now(sim);
    double cpu0 = bench_cpu_s();
    double w0 = bench_wall_s();
    if (tcp_connect(tx.pcb, &dst, BENCH_PORT, on_connected) != ERR_OK) return 2;
    sim_node_kick(a);
    /* Virtual-time budget: 100x the ideal transfer time, at least 60 s. */
    uint64_t ideal_ns = rate ? bytes * 8u * 1000000000u / rate : 0;
    uint64_t limit_ns = t0_ns + 60000000000ull + 100u * ideal_ns;
    while (!rx.all_in && rx.error == ERR_OK && sim_step(sim, limit_ns)) {
    }
    double wall_s = bench_wall_s() - w0;
    double cpu_s = bench_cpu_s() - cpu0;
    uint64_t events = sim_events_run(sim) - ev0;
    uint64_t sim_ns = (rx.all_in ? rx.all_in_ns : sim_now(sim)) - t0_ns;

    struct tcp_info ti;
    memset(&ti, 0, sizeof(ti));
    bool tx_alive = tx.pcb != NULL && rx.error == ERR_OK;
    if (tx_alive) tcp_get_info(tx.pcb, &ti);

    /* Clean close both ways: the sender's FIN, then the receiver's. */
    bool closed_clean = false;
    if (rx.all_in && tx_alive) {
        tcp_close(tx.pcb);
        sim_node_kick(a);
        uint64_t until = sim_now(sim) + 5000000000ull;
        while (!rx.fin_seen && rx.error == ERR_OK && sim_step(sim, until)) {
        }
        if (rx.fin_seen && rx.pcb != NULL) {
            tcp_close(rx.pcb);
            sim_node_kick(b);
            sim_run_until(sim, sim_now(sim) + 1000000000ull);
            /* b closed second: its PCB is gone once a acknowledges its FIN
             * (a then sits in TIME-WAIT); no reset may have been seen. */
            closed_clean = rx.error == ERR_OK;
        }
    }

    bool ok = rx.all_in && rx.corrupt_at == 0 && rx.error == ERR_OK;
    struct bench_json j;
    bench_json_begin(&j, stdout);
    bench_json_str(&j, "bench", "tcp_bulk_shoal");
    bench_json_bool(&j, "ok", ok);
    bench_json_u64(&j, "bytes", bytes);
    bench_json_u64(&j, "bytes_received", rx.received);
    bench_json_bool(&j, "verified", verify);
    bench_json_u64(&j, "corrupt_at_offset", rx.corrupt_at ? rx.corrupt_at - 1 : 0);
    bench_json_bool(&j, "corrupt", rx.corrupt_at != 0);
    bench_json_num(&j, "rx_error", rx.error);
    bench_json_bool(&j, "closed_clean", closed_clean);
    bench_json_u64(&j, "rate_bps", rate);
    bench_json_u64(&j, "delay_ns", delay);
    bench_json_u64(&j, "queue_frames", queue);
    bench_json_num(&j, "loss", lp.loss);
    bench_json_u64(&j, "tcp_wnd", wnd);
    bench_json_u64(&j, "tcp_snd_buf", sndbuf);
    bench_json_u64(&j, "tcp_seg_count", cfg.tcp_seg_count);
    bench_json_u64(&j, "tcp_ooseq_max", cfg.tcp_ooseq_max);
    bench_json_u64(&j, "pbuf_count", cfg.pbuf_count);
    bench_json_u64(&j, "stack_memory_bytes", stack_memory_size(&cfg));
    bench_json_num(&j, "setup_wall_s", setup_s);
    bench_json_num(&j, "wall_s", wall_s);
    bench_json_num(&j, "cpu_s", cpu_s);
    bench_json_num(&j, "sim_s", (double)sim_ns * 1e-9);
    bench_json_u64(&j, "events", events);
    bench_json_num(&j, "events_per_wall_s", (double)events / wall_s);
    bench_json_num(&j, "payload_bytes_per_wall_s", (double)rx.received / wall_s);
    bench_json_num(&j, "goodput_bps", sim_ns ? (double)rx.received * 8e9 / (double)sim_ns : 0.0);
    bench_json_num(&j, "sim_s_per_wall_s", (double)sim_ns * 1e-9 / wall_s);
    bench_json_u64(&j, "frames_on_wire", bench_link_counter(link, "frames"));
    bench_json_u64(&j, "frames_ab", bench_link_counter(link, "frames_ab"));
    bench_json_u64(&j, "frames_ba", bench_link_counter(link, "frames_ba"));
    bench_json_u64(&j, "link_drops", bench_link_counter(link, "drop"));
    bench_json_u64(&j, "rx_nomem", bench_link_counter(link, "rx_nomem"));
    bench_json_u64(&j, "write_calls", tx.write_calls);
    bench_json_u64(&j, "retransmits", ti.retransmits);
    bench_json_u64(&j, "timeouts", ti.timeouts);
    bench_json_u64(&j, "fast_retransmits", ti.fast_retransmits);
    bench_json_u64(&j, "final_cwnd", ti.cwnd);
    bench_json_u64(&j, "mss", ti.mss);
    bench_json_num(&j, "srtt_ms", (double)ti.srtt_ns * 1e-6);
    bench_json_u64(&j, "rss_bytes", bench_rss_bytes());
    bench_json_end(&j);

    sim_free(sim);
    link_free(link);
    free(tx.pattern);
    return ok ? 0 : 1;
}
