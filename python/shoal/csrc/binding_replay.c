/*
 * binding.h's pcap replay and TAP bridge (links/pcap_replay.c, links/tap.c,
 * links/realtime.c).
 */
#include "binding_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_replay.h"
#include "realtime.h"
#include "tap.h"

/* ---- replay ---- */

struct shoal_replay {
    struct pcap_replay *r;
};

static void fill_opts(struct pcap_replay_opts *o, const shoal_replay_opts *in)
{
    memset(o, 0, sizeof(*o));
    o->start_ns = in->start_ns;
    o->rewrite_mac = in->rewrite_mac != 0;
    o->skip_own = in->skip_own != 0;
    memcpy(o->wrap_src_mac, in->wrap_src_mac, 6);
    size_t n = in->ip_map_count < 0 ? 0 : (size_t)in->ip_map_count;
    if (n > PCAP_REPLAY_MAX_IP_MAP) n = PCAP_REPLAY_MAX_IP_MAP;
    o->ip_map_count = n;
    for (size_t i = 0; i < n; i++) {
        o->ip_from[i] = in->ip_from[i];
        o->ip_to[i] = in->ip_to[i];
    }
}

shoal_replay *shoal_replay_start(shoal_sim *s, shoal_node *node, int ifindex, shoal_link *link, const char *path,
                                 const shoal_replay_opts *opts, const char *filter, char *errbuf, size_t errcap)
{
    if (s == NULL || node == NULL || node->owner != s || path == NULL || opts == NULL || errbuf == NULL ||
        errcap == 0)
        return NULL;
    if (opts->ip_map_count < 0 || opts->ip_map_count > (int)PCAP_REPLAY_MAX_IP_MAP) {
        snprintf(errbuf, errcap, "at most %u address rewrites", PCAP_REPLAY_MAX_IP_MAP);
        return NULL;
    }
    struct sim_port *port = sim_node_port(node->n, ifindex);
    if (port == NULL) {
        snprintf(errbuf, errcap, "%s has no interface %d", node->n->name, ifindex);
        return NULL;
    }
    struct pcap_replay_opts o;
    fill_opts(&o, opts);
    o.filter = filter;
    shoal_replay *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        snprintf(errbuf, errcap, "out of memory");
        return NULL;
    }
    w->r = pcap_replay_start(s->sim, port, link ? link->l : NULL, path, &o, errbuf, errcap);
    if (w->r == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

int shoal_replay_done(const shoal_replay *r) { return r != NULL && pcap_replay_done(r->r) ? 1 : 0; }

int shoal_replay_stat(const shoal_replay *r, int index, const char **name, uint64_t *value)
{
    return r != NULL ? pcap_replay_stat(r->r, index, name, value) : 0;
}

void shoal_replay_stop(shoal_replay *r)
{
    if (r != NULL) pcap_replay_stop(r->r);
}

void shoal_replay_free(shoal_replay *r)
{
    if (r == NULL) return;
    pcap_replay_free(r->r);
    free(r);
}

int shoal_replay_rewrite(const shoal_replay_opts *opts, const uint8_t *port_mac, uint8_t *frame, size_t len)
{
    if (opts == NULL || port_mac == NULL || (frame == NULL && len)) return SHOAL_EBADARG;
    struct pcap_replay_opts o;
    fill_opts(&o, opts);
    return (int)replay_rewrite(frame, len, port_mac, &o);
}

/* ---- TAP bridge ---- */

/* Enter a link of any kind in the simulation's table (as shoal_link_new
 * does for point-to-point links), so the link calls of binding.h and
 * shoal_sim_free treat it like the others. */
static shoal_link *register_link(shoal_sim *s, struct link *l)
{
    if (s->link_count == s->link_cap) {
        size_t ncap = s->link_cap ? s->link_cap * 2 : 16;
        shoal_link **nl = realloc(s->links, ncap * sizeof(*nl));
        if (nl == NULL) return NULL;
        s->links = nl;
        s->link_cap = ncap;
    }
    shoal_link *w = calloc(1, sizeof(*w));
    if (w == NULL) return NULL;
    w->l = l;
    (void)name_table_put(&s->link_names, l->name, w);
    s->links[s->link_count++] = w;
    return w;
}

shoal_link *shoal_tap_new(shoal_sim *s, shoal_node *node, const char *ifname, const char *netns_path,
                          const char *name, uint32_t mtu, const char *pcap_path, char *errbuf, size_t errcap)
{
    if (s == NULL || node == NULL || node->owner != s || name == NULL || errbuf == NULL || errcap == 0) return NULL;
    if (name_table_get(&s->link_names, name) != NULL) {
        snprintf(errbuf, errcap, "a link named %s already exists", name);
        return NULL;
    }
    /* Grow the table first: once attached, the bridge cannot be undone. */
    if (s->link_count == s->link_cap) {
        size_t ncap = s->link_cap ? s->link_cap * 2 : 16;
        shoal_link **nl = realloc(s->links, ncap * sizeof(*nl));
        if (nl == NULL) {
            snprintf(errbuf, errcap, "out of memory");
            return NULL;
        }
        s->links = nl;
        s->link_cap = ncap;
    }
    int err = 0;
    struct link *l = tap_new(s->sim, node->n, ifname, netns_path, name, mtu, pcap_path, &err, errbuf, errcap);
    if (l == NULL) return NULL;
    shoal_link *w = register_link(s, l);
    if (w == NULL) snprintf(errbuf, errcap, "out of memory");
    return w;
}

int shoal_sim_is_realtime(const shoal_sim *s) { return s != NULL && sim_is_realtime(s->sim) ? 1 : 0; }
