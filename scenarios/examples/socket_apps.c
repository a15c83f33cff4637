/*
 * Runs the plain-POSIX example apps (app_*.c, compiled against
 * simcore/shoal_posix.h) as tasks inside two simulated nodes joined by an
 * Ethernet link: b runs the TCP echo server and the UDP server, a runs the
 * clients. Prints what the apps print, then one summary line.
 * Usage: socket_apps [--seed N] [--pcap FILE] [--loss P] [--lines N]
 * Exit status: 0 when every app exited 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth_p2p.h"
#include "node.h"
#include "sim.h"
#include "task.h"
#include "shoal/ip4_addr.h"
#include "shoal/netif.h"

/* The apps' main functions, renamed at compile time (-Dmain=...). */
int app_echo_server_main(int argc, char **argv);
int app_echo_client_main(int argc, char **argv);
int app_udp_peer_main(int argc, char **argv);

struct app {
    int (*main)(int argc, char **argv);
    int argc;
    char *argv[8];
};

static int run_app(void *arg)
{
    struct app *a = arg;
    return a->main(a->argc, a->argv);
}

static const char *arg_str(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

int main(int argc, char **argv)
{
    uint64_t seed = strtoull(arg_str(argc, argv, "--seed", "1"), NULL, 0);
    const char *pcap = arg_str(argc, argv, "--pcap", NULL);
    double loss = atof(arg_str(argc, argv, "--loss", "0"));
    char *lines = (char *)arg_str(argc, argv, "--lines", "5");
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct sim *sim = sim_new(seed);
    int err = 0;
    struct sim_node *a = sim_node_new_stack(sim, "a", false, &err);
    struct sim_node *b = sim_node_new_stack(sim, "b", false, &err);
    struct eth_p2p_params lp = {.rate_bps = 10000000, .delay_ns = 5000000, .loss = loss};
    struct link *l = a && b ? eth_p2p_new(sim, a, b, "a-b", &lp, pcap, &err) : NULL;
    if (l == NULL) {
        fprintf(stderr, "socket_apps: setup failed (%d)\n", err);
        return 2;
    }
    ip4_addr_t mask = ip4_netmask_from_prefix(24), gw = {0};
    ip4_addr_t ia = ip4_addr_make(10, 0, 0, 1), ib = ip4_addr_make(10, 0, 0, 2);
    netif_set_ip4(sim_node_port(a, link_ifindex(l, a))->netif, &ia, &mask, &gw);
    netif_set_ip4(sim_node_port(b, link_ifindex(l, b))->netif, &ib, &mask, &gw);
    sim_node_kick(a);
    sim_node_kick(b);

    struct app echo_srv = {app_echo_server_main, 3, {"echo_server", "7", "1"}};
    struct app udp_srv = {app_udp_peer_main, 3, {"udp_peer", "server", "9000"}};
    struct app echo_cli = {app_echo_client_main, 4, {"echo_client", "10.0.0.2", "7", lines}};
    struct app udp_cli = {app_udp_peer_main, 5, {"udp_peer", "client", "10.0.0.2", "9000", "3"}};

    struct task_sched *ts = task_sched_new(sim);
    struct task *t[4];
    t[0] = task_spawn(ts, b, "echo_server", run_app, &echo_srv, 0);
    t[1] = task_spawn(ts, b, "udp_server", run_app, &udp_srv, 0);
    /* The clients start a little later, when the servers listen. */
    t[2] = task_spawn_at(ts, a, "echo_client", run_app, &echo_cli, 0, 10000000);
    t[3] = task_spawn_at(ts, a, "udp_client", run_app, &udp_cli, 0, 20000000);
    bool all = task_sched_run(ts, 120ull * 1000000000ull);
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        bool done = task_done(t[i]);
        if (!done || task_result(t[i]) != 0) failures++;
        printf("socket_apps: task %s %s, result %d\n", task_name(t[i]), done ? "done" : "STILL BLOCKED",
               task_result(t[i]));
    }
    printf("socket_apps: %s at t=%.6f s, %llu events, %d failures\n", all ? "all tasks finished" : "time limit",
           (double)sim_now(sim) / 1e9, (unsigned long long)sim_events_run(sim), failures);
    task_sched_free(ts);
    sim_free(sim);
    link_free(l);
    return failures == 0 ? 0 : 1;
}
