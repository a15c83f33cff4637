/* Minimal assertions for the C unit tests: report every failure with its
 * place and keep going; main() returns test_failures != 0. */
#ifndef SHOAL_TEST_CHECK_H
#define SHOAL_TEST_CHECK_H

#include <stdio.h>

static unsigned test_failures;
static unsigned test_checks;

#define CHECK(cond)                                                                \
    do {                                                                           \
        test_checks++;                                                             \
        if (!(cond)) {                                                             \
            test_failures++;                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                          \
    } while (0)

/* Equality of two integers, printing both values when they differ. */
#define CHECK_EQ(a, b)                                                                                   \
    do {                                                                                                 \
        unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b);      \
        test_checks++;                                                                                   \
        if (check_a_ != check_b_) {                                                                      \
            test_failures++;                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s == %s (0x%llx != 0x%llx)\n", __FILE__, __LINE__, #a, \
                    #b, check_a_, check_b_);                                                             \
        }                                                                                                \
    } while (0)

static inline int test_report(const char *name)
{
    if (test_failures != 0) {
        fprintf(stderr, "%s: %u of %u checks FAILED\n", name, test_failures, test_checks);
        return 1;
    }
    printf("%s: all %u checks passed\n", name, test_checks);
    return 0;
}

#endif
