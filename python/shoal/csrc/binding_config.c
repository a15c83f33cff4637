/*
 * shoal_node_new_config: a stack node whose struct stack_config fields are
 * overridden by name, so scripts can size pools or tune TCP per node. The
 * table below is the list of names; a new stack_config field becomes
 * configurable by adding one line.
 */
#include "binding_internal.h"

#include <stddef.h>
#include <string.h>

enum cfg_type { CFG_U32, CFG_U8, CFG_BOOL };

struct cfg_key {
    const char *name;
    size_t offset;
    enum cfg_type type;
};

#define U32(f) {#f, offsetof(struct stack_config, f), CFG_U32}
#define U8(f) {#f, offsetof(struct stack_config, f), CFG_U8}
#define BOOL(f) {#f, offsetof(struct stack_config, f), CFG_BOOL}

static const struct cfg_key cfg_keys[] = {
    U32(pbuf_count),
    U32(pbuf_seg_size),
    U32(netif_count),
    U32(udp_pcb_count),
    U32(raw_pcb_count),
    U32(arp_table_size),
    U32(arp_queue_len),
    U32(route_count),
    U8(ip_default_ttl),
    BOOL(ip_forwarding),
    U32(arp_entry_lifetime_ms),
    U32(arp_request_interval_ms),
    U32(arp_max_tries),
    U32(icmp_err_rate_per_s),
    U32(icmp_err_burst),
    BOOL(icmp_echo_broadcast),
    U32(tcp_pcb_count),
    U32(tcp_seg_count),
    U32(tcp_mss),
    U32(tcp_snd_buf),
    U32(tcp_wnd),
    U32(tcp_ooseq_max),
    U32(tcp_msl_ms),
    U32(tcp_rto_init_ms),
    U32(tcp_rto_min_ms),
    U32(tcp_max_rtx),
    U32(tcp_syn_max_rtx),
    U32(tcp_delack_ms),
    BOOL(tcp_sack),
    BOOL(tcp_timestamps),
    BOOL(tcp_wscale),
};

/* Set one field; false for an unknown name or a value the field cannot hold. */
static bool cfg_set(struct stack_config *cfg, const char *key, uint64_t value)
{
    for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (strcmp(k->name, key) != 0) continue;
        unsigned char *field = (unsigned char *)cfg + k->offset;
        switch (k->type) {
        case CFG_U32: {
            if (value > UINT32_MAX) return false;
            uint32_t v = (uint32_t)value;
            memcpy(field, &v, sizeof(v));
            return true;
        }
        case CFG_U8: {
            if (value > UINT8_MAX) return false;
            uint8_t v = (uint8_t)value;
            memcpy(field, &v, sizeof(v));
            return true;
        }
        case CFG_BOOL: {
            if (value > 1) return false;
            bool v = value != 0;
            memcpy(field, &v, sizeof(v));
            return true;
        }
        }
        return false;
    }
    return false;
}

shoal_node *shoal_node_new_config(shoal_sim *s, const char *name, int forwarding, int n, const char **keys,
                                  const uint64_t *values, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    *err = SHOAL_EBADARG;
    if (n < 0 || (n > 0 && (keys == NULL || values == NULL))) return NULL;
    struct stack_config cfg;
    sim_node_config_default(&cfg, forwarding != 0);
    for (int i = 0; i < n; i++)
        if (keys[i] == NULL || !cfg_set(&cfg, keys[i], values[i])) return NULL;
    int node_err = 0;
    struct sim_node *node = sim_node_new_stack_cfg(s->sim, name, &cfg, &node_err);
    if (node == NULL) return NULL; /* name taken, or the stack refused cfg */
    shoal_node *w = shoal_wrap_node(s, node);
    *err = w ? 0 : SHOAL_ENOMEM;
    return w;
}
