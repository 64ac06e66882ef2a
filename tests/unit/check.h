/*
 * check.h: the unit tests' few macros, and the numbers they draw at random.
 * Each test program runs its checks, prints one line per failure, and ends
 * with "N passed, N failed".
 */
#ifndef ATTACHE_CHECK_H
#define ATTACHE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) check_one((cond), #cond, __FILE__, __LINE__)

#define CHECK_STR(a, b) do {                                                   \
        const char *check_a_ = (a), *check_b_ = (b);                           \
        int check_ok_ = check_a_ && check_b_ && !strcmp(check_a_, check_b_);   \
        if (!check_one(check_ok_, #a " == " #b, __FILE__, __LINE__))           \
            fprintf(stderr, "    got \"%s\"\n    want \"%s\"\n",               \
                    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
    } while (0)

#define CHECK_INT(a, b) do {                                                   \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);        \
        if (!check_one(check_a_ == check_b_, #a " == " #b, __FILE__, __LINE__)) \
            fprintf(stderr, "    got %lld, want %lld\n", check_a_, check_b_);  \
    } while (0)

static inline int check_one(int ok, const char *what, const char *file, int line)
{
    if (ok) {
        check_passed++;
        return 1;
    }
    check_failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    return 0;
}

/* Numbers that look random and are the same in every run (xorshift64): a test's inputs. */
static inline unsigned check_random(void)
{
    static unsigned long long seed = 88172645463325252ULL;

    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed >> 11);
}

/* End main() with `return check_done();` */
static inline int check_done(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
