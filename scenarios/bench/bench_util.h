/*
 * What the C benchmarks share: a wall clock, the process's resident memory,
 * stack nodes with a chosen configuration, a point-to-point link with
 * addresses on both ends, and a tiny JSON writer for the results, which
 * scenarios/bench/run_all.py reads.
 *
 * The benchmarks talk to simcore and the stack's raw API directly (not
 * through the CFFI binding), the way a C user of Shoal would: no Python and
 * no binding-side buffering in the measured loop.
 */
#ifndef SHOAL_BENCH_UTIL_H
#define SHOAL_BENCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eth_p2p.h"
#include "node.h"
#include "sim.h"
#include "shoal/ip4_addr.h"
#include "shoal/netif.h"
#include "shoal/stack.h"

/* ---- wall clock and memory of this process ---- */

static inline double bench_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size in bytes, from /proc/self/statm (second field, pages). */
static inline uint64_t bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ---- nodes and links ---- */

/* A stack node whose instance uses `cfg` (NULL: what sim.node() gets). */
static inline struct sim_node *bench_node_new(struct sim *sim, const char *name, const struct stack_config *cfg)
{
    int err = 0;
    struct stack_config def;
    if (cfg == NULL) {
        sim_node_config_default(&def, false);
        cfg = &def;
    }
    struct sim_node *n = sim_node_new_stack_cfg(sim, name, cfg, &err);
    if (n == NULL) {
        fprintf(stderr, "bench: node %s could not be made (%d): configuration rejected?\n", name, err);
        exit(2);
    }
    return n;
}

/* Join a and b with an Ethernet point-to-point link and give them
 * 10.0.0.1/24 and 10.0.0.2/24. Returns a's and b's netifs through *na, *nb. */
static inline struct link *bench_p2p(struct sim *sim, struct sim_node *a, struct sim_node *b,
                                     const struct eth_p2p_params *params, const char *pcap_path,
                                     struct netif **na, struct netif **nb)
{
    int err = 0;
    struct link *l = eth_p2p_new(sim, a, b, "a-b", params, pcap_path, &err);
    if (l == NULL) {
        fprintf(stderr, "bench: eth_p2p_new failed (%d)\n", err);
        exit(2);
    }
    struct sim_port *pa = sim_node_port(a, link_ifindex(l, a));
    struct sim_port *pb = sim_node_port(b, link_ifindex(l, b));
    ip4_addr_t mask = ip4_netmask_from_prefix(24), gw = {0};
    ip4_addr_t ia = ip4_addr_make(10, 0, 0, 1), ib = ip4_addr_make(10, 0, 0, 2);
    netif_set_ip4(pa->netif, &ia, &mask, &gw);
    netif_set_ip4(pb->netif, &ib, &mask, &gw);
    sim_node_kick(a);
    sim_node_kick(b);
    *na = pa->netif;
    *nb = pb->netif;
    return l;
}

static inline uint64_t bench_link_counter(const struct link *l, const char *want)
{
    const char *name;
    uint64_t value;
    for (int i = 0; link_stat(l, i, &name, &value); i++)
        if (strcmp(name, want) == 0) return value;
    return 0;
}

/* ---- JSON out: one flat object, keys in the order written ---- */

struct bench_json {
    FILE *out;
    bool first;
};

static inline void bench_json_begin(struct bench_json *j, FILE *out)
{
    j->out = out;
    j->first = true;
    fputs("{", out);
}

static inline void bench_json_key(struct bench_json *j, const char *key)
{
    fprintf(j->out, "%s\n  \"%s\": ", j->first ? "" : ",", key);
    j->first = false;
}

static inline void bench_json_num(struct bench_json *j, const char *key, double v)
{
    bench_json_key(j, key);
    fprintf(j->out, "%.9g", v);
}

static inline void bench_json_u64(struct bench_json *j, const char *key, uint64_t v)
{
    bench_json_key(j, key);
    fprintf(j->out, "%llu", (unsigned long long)v);
}

static inline void bench_json_bool(struct bench_json *j, const char *key, bool v)
{
    bench_json_key(j, key);
    fputs(v ? "true" : "false", j->out);
}

/* Plain strings only: the benchmarks never write quotes or backslashes. */
static inline void bench_json_str(struct bench_json *j, const char *key, const char *v)
{
    bench_json_key(j, key);
    fprintf(j->out, "\"%s\"", v);
}

static inline void bench_json_end(struct bench_json *j) { fputs("\n}\n", j->out); }

/* ---- arguments: --name value pairs, all numeric ---- */

static inline bool bench_arg_u64(int argc, char **argv, const char *name, uint64_t *out)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) {
            char *end;
            *out = strtoull(argv[i + 1], &end, 0);
            if (*end != '\0') {
                fprintf(stderr, "bench: %s wants an integer, not %s\n", name, argv[i + 1]);
                exit(2);
            }
            return true;
        }
    return false;
}

static inline bool bench_arg_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

static inline const char *bench_arg_str(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

#endif
