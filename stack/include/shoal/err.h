/* Error codes returned by the stack's API (lwIP's err_t, as an enum). */
#ifndef SHOAL_ERR_H
#define SHOAL_ERR_H

typedef enum {
    ERR_OK = 0,           /* no error */
    ERR_MEM = -1,         /* a pool is exhausted */
    ERR_BUF = -2,         /* buffer too small or header does not fit */
    ERR_TIMEOUT = -3,     /* timed out */
    ERR_RTE = -4,         /* no route to the destination */
    ERR_INPROGRESS = -5,  /* operation in progress */
    ERR_VAL = -6,         /* illegal value */
    ERR_WOULDBLOCK = -7,  /* operation would block */
    ERR_USE = -8,         /* address in use */
    ERR_ALREADY = -9,     /* already connecting */
    ERR_ISCONN = -10,     /* already connected */
    ERR_CONN = -11,       /* not connected */
    ERR_IF = -12,         /* low-level netif error */
    ERR_ABRT = -13,       /* connection aborted */
    ERR_RST = -14,        /* connection reset */
    ERR_CLSD = -15,       /* connection closed */
    ERR_ARG = -16         /* illegal argument */
} err_t;

/* A short constant description of an error code, for logs and bindings. */
const char *err_str(err_t err);

#endif
