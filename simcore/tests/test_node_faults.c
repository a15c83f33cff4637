/*
 * Scheduled node faults (node.h): a stopped stack node drops frames and
 * runs no timers; start resumes it; a reboot (now or scheduled) runs the
 * reboot hooks, keeps every port's netif index, MAC, MTU and carrier, and
 * leaves a fresh instance without addresses; devices refuse.
 */
#include <string.h>

#include "../../stack/tests/check.h"
#include "eth_p2p.h"
#include "eth_switch.h"
#include "node.h"
#include "shoal/netif.h"

#define MS 1000000ull

static int hook_calls;
static struct stack *hook_saw;

static void hook(void *arg, struct sim_node *n)
{
    (void)arg;
    hook_calls++;
    hook_saw = n->stack;
}

static void test_reboot_keeps_interfaces(void)
{
    int err = 0;
    struct sim *sim = sim_new(3);
    struct sim_node *a = sim_node_new_stack(sim, "a", false, &err);
    struct sim_node *x = sim_node_new_raw(sim, "x", &err);
    struct sim_node *y = sim_node_new_raw(sim, "y", &err);
    struct eth_p2p_params prm = {.delay_ns = 1 * MS, .mtu = 1400};
    struct link *l1 = eth_p2p_new(sim, a, x, "a-x", &prm, NULL, &err);
    struct link *l2 = eth_p2p_new(sim, a, y, "a-y", &prm, NULL, &err);
    CHECK(l1 != NULL && l2 != NULL);
    CHECK_EQ(sim_node_add_reboot_hook(a, hook, NULL), 0);
    struct sim_port *p2 = a->ports->next;
    uint8_t mac2[6];
    memcpy(mac2, p2->mac, 6);
    int idx2 = p2->index;
    ip4_addr_t addr = {.addr = 0x0100000au}, mask = {.addr = 0x00ffffffu}, gw = {0};
    netif_set_ip4(p2->netif, &addr, &mask, &gw);
    CHECK_EQ(eth_p2p_set_up(l1, false, 0), 0); /* a-x cut: the fresh netif must start link down */
    struct stack *old = a->stack;
    CHECK_EQ(sim_node_reboot(a, 5 * MS), 0);
    sim_run_until(sim, 4 * MS);
    CHECK_EQ(a->boots, 0);
    sim_run_until(sim, 5 * MS);
    CHECK_EQ(a->boots, 1);
    CHECK_EQ(hook_calls, 1);
    CHECK(hook_saw == old);
    CHECK(a->stack != NULL && !a->stopped);
    CHECK_EQ(p2->index, idx2);
    CHECK(memcmp(p2->mac, mac2, 6) == 0);
    CHECK(p2->netif != NULL && p2->netif->index == idx2 && p2->netif->mtu == 1400);
    CHECK(memcmp(p2->netif->hwaddr, mac2, 6) == 0);
    CHECK_EQ(p2->netif->ip4.addr, 0);
    CHECK(netif_is_up(p2->netif));
    CHECK(!netif_is_up(a->ports->netif)); /* its cable is still out */
    CHECK_EQ(eth_p2p_set_up(l1, true, 0), 0);
    CHECK(netif_is_up(a->ports->netif));
    /* Devices refuse faults. */
    struct eth_switch *sw = eth_switch_new(sim, "sw", NULL, &err);
    CHECK_EQ(sim_node_reboot(eth_switch_node(sw), 0), -1);
    CHECK_EQ(sim_node_set_running(eth_switch_node(sw), false, 0), -1);
    link_free(l1);
    link_free(l2);
    sim_free(sim);
}

static void test_stop_drops_and_start_resumes(void)
{
    int err = 0;
    struct sim *sim = sim_new(4);
    struct sim_node *x = sim_node_new_raw(sim, "x", &err);
    struct sim_node *y = sim_node_new_raw(sim, "y", &err);
    struct eth_p2p_params prm = {.delay_ns = 1 * MS};
    struct link *l = eth_p2p_new(sim, x, y, "x-y", &prm, NULL, &err);
    uint8_t f[60] = {0};
    CHECK_EQ(sim_node_set_running(y, false, 2 * MS), 0);
    CHECK_EQ(sim_node_set_running(y, true, 4 * MS), 0);
    sim_port_send(x->ports, f, sizeof(f)); /* arrives at 1 ms: kept */
    sim_run_until(sim, 2 * MS);
    sim_port_send(x->ports, f, sizeof(f)); /* arrives at 3 ms: dropped */
    sim_run_until(sim, 4 * MS);
    sim_port_send(x->ports, f, sizeof(f)); /* arrives at 5 ms: kept */
    sim_run_until(sim, 10 * MS);
    CHECK_EQ(y->rx_frames, 2);
    CHECK_EQ(y->rx_stopped, 1);
    CHECK(!y->stopped);
    /* A raw host's reboot empties its FIFO. */
    CHECK_EQ(sim_node_reboot(y, 0), 0);
    CHECK_EQ(y->rx_queued, 0);
    uint8_t buf[64];
    CHECK(sim_raw_pop(y, buf, sizeof(buf), NULL, NULL) < 0);
    link_free(l);
    sim_free(sim);
}

int main(void)
{
    test_reboot_keeps_interfaces();
    test_stop_drops_and_start_resumes();
    return test_report("test_node_faults");
}
