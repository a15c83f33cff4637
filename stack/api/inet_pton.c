/*
 * inet_pton / inet_ntop (POSIX; RFC 4291 2.2 text forms in, RFC 5952's
 * canonical form out). Parsers bound every field and refuse anything
 * else: no zone ("%1") here, that is the caller's (getaddrinfo's) job.
 */
#include <string.h>

#include "shoal/sockets.h"

/* a.b.c.d, each part 0..255 of one to three decimal digits, up to end. */
static bool pton4(const char *p, const char *end, uint8_t out[4])
{
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            v = v * 10u + (unsigned)(*p - '0');
            if (v > 255 || ++digits > 3) return false;
            p++;
        }
        if (digits == 0) return false;
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (p >= end || *p != '.') return false;
            p++;
        }
    }
    return p == end;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* RFC 4291 2.2: eight groups, one "::" for a run of zero groups, and an
 * embedded dotted quad as the last 32 bits. */
static bool pton6(const char *p, const char *end, uint8_t out[16])
{
    uint8_t b[16];
    int n = 0, gap = -1;
    memset(b, 0, sizeof(b));
    if (p + 1 < end && p[0] == ':' && p[1] == ':') {
        gap = 0;
        p += 2;
    } else if (p < end && *p == ':') {
        return false;
    }
    while (p < end) {
        if (n >= 16) return false;
        const char *start = p;
        unsigned v = 0, digits = 0;
        int h;
        while (p < end && (h = hexval(*p)) >= 0) {
            v = (v << 4) | (unsigned)h;
            if (++digits > 4) return false;
            p++;
        }
        if (p < end && *p == '.') {
            /* The embedded IPv4 address ends the text. */
            if (n > 12 || !pton4(start, end, b + n)) return false;
            n += 4;
            p = end;
            break;
        }
        if (digits == 0) return false;
        b[n++] = (uint8_t)(v >> 8);
        b[n++] = (uint8_t)v;
        if (p == end) break;
        if (*p != ':') return false;
        p++;
        if (p < end && *p == ':') {
            if (gap >= 0) return false; /* one "::" at most */
            gap = n;
            p++;
        } else if (p == end) {
            return false; /* a trailing single ':' */
        }
    }
    if (gap >= 0) {
        if (n == 16) return false; /* "::" must stand for at least one group */
        int tail = n - gap;
        memmove(b + 16 - tail, b + gap, (size_t)tail);
        memset(b + gap, 0, (size_t)(16 - tail - gap));
    } else if (n != 16) {
        return false;
    }
    memcpy(out, b, 16);
    return true;
}

int sock_inet_pton(int af, const char *src, void *dst)
{
    if (src == NULL || dst == NULL) return -SHOAL_EFAULT;
    const char *end = src;
    while (*end != '\0' && end - src < 64) end++;
    if (*end != '\0') return 0;
    uint8_t b[16];
    if (af == SHOAL_AF_INET) {
        if (!pton4(src, end, b)) return 0;
        memcpy(dst, b, 4);
        return 1;
    }
    if (af == SHOAL_AF_INET6) {
        if (!pton6(src, end, b)) return 0;
        memcpy(dst, b, 16);
        return 1;
    }
    return -SHOAL_EAFNOSUPPORT;
}

/* Appends to out (room checked by the caller: at most 46 bytes in all). */
static size_t put_dec(char *out, unsigned v)
{
    char t[3];
    size_t n = 0, k = 0;
    do {
        t[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) out[k++] = t[--n];
    return k;
}

static size_t put_hex(char *out, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    size_t k = 0;
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xfu;
        if (d == 0 && !started && shift > 0) continue;
        started = true;
        out[k++] = digits[d];
    }
    return k;
}

static size_t ntop4(const uint8_t *a, char *out)
{
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0) out[k++] = '.';
        k += put_dec(out + k, a[i]);
    }
    return k;
}

/* RFC 5952 4: lowercase, no leading zeros, the longest run of two or more
 * zero groups (the first of equals) as "::"; ::ffff:a.b.c.d for mapped. */
static size_t ntop6(const uint8_t *a, char *out)
{
    unsigned g[8];
    for (int i = 0; i < 8; i++) g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    bool mapped = best == 0 && best_len == 5 && g[5] == 0xffffu;
    size_t k = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[k++] = ':';
            out[k++] = ':';
            i += best_len - 1;
            if (mapped) {
                memcpy(out + k, "ffff:", 5);
                k += 5;
                return k + ntop4(a + 12, out + k);
            }
            continue;
        }
        if (k > 0 && out[k - 1] != ':') out[k++] = ':';
        k += put_hex(out + k, g[i]);
    }
    return k;
}

const char *sock_inet_ntop(int af, const void *src, char *dst, shoal_socklen_t size)
{
    if (src == NULL || dst == NULL) return NULL;
    char t[48];
    size_t n;
    if (af == SHOAL_AF_INET)
        n = ntop4(src, t);
    else if (af == SHOAL_AF_INET6)
        n = ntop6(src, t);
    else
        return NULL;
    if (n + 1 > size) return NULL; /* POSIX: ENOSPC */
    memcpy(dst, t, n);
    dst[n] = '\0';
    return dst;
}
