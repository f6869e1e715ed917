/* t.h: the assertions every unit test uses (redis testhelp.h, hiredis test.c).
 *
 * A test is a function run by T_RUN; it passes when none of its checks failed. Table-driven
 * tests call t_begin/t_end around each row so every row counts as a case. main() ends with
 * `return t_done();`, which prints the "N passed, N failed" line the runner adds up. Exit 99
 * means the test could not set itself up (no port, no fixture), 1 that a check failed. */
#ifndef TESTS_T_H
#define TESTS_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;
static const char *t_cur = "?";

static inline void t_begin(const char *name)
{
    t_cur = name;
    t_cur_failed = 0;
}

static inline void t_end(void)
{
    if (t_cur_failed)
        t_fail++;
    else
        t_pass++;
}

static inline int t_done(void)
{
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return t_fail ? 1 : 0;
}

#define T_FAILF(...)                                                                               \
    do {                                                                                           \
        t_cur_failed++;                                                                            \
        fprintf(stderr, "FAIL %s (%s:%d): ", t_cur, __FILE__, __LINE__);                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
    } while (0)

#define T_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            T_FAILF("%s", #cond);                                                                  \
    } while (0)

#define T_EQ_INT(a, b)                                                                             \
    do {                                                                                           \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                    \
        if (t_a_ != t_b_)                                                                          \
            T_FAILF("%s == %s: %lld != %lld", #a, #b, t_a_, t_b_);                                 \
    } while (0)

#define T_EQ_STR(a, b)                                                                             \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                                             \
            T_FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a_ ? t_a_ : "(null)",                  \
                    t_b_ ? t_b_ : "(null)");                                                       \
    } while (0)

#define T_CONTAINS(hay, needle)                                                                    \
    do {                                                                                           \
        const char *t_h_ = (hay), *t_n_ = (needle);                                                \
        if (!t_h_ || !strstr(t_h_, t_n_))                                                          \
            T_FAILF("\"%s\" contains \"%s\"", t_h_ ? t_h_ : "(null)", t_n_);                       \
    } while (0)

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        t_begin(#fn);                                                                              \
        fn();                                                                                      \
        t_end();                                                                                   \
    } while (0)

#endif
