/* test_cache.c: the pure parts of the cache module: REDIS_URL parsing and key names. The
 * backends themselves are tested against real servers in tests/integration/test_cache.sh. */
#include "cache/cache.h"
#include "t.h"

static void test_redis_urls(void)
{
    struct redis_url u;
    char err[128];
    T_EQ_INT(cache_parse_redis_url("redis://localhost", &u, err, sizeof err), 0);
    T_EQ_STR(u.host, "localhost");
    T_EQ_INT(u.port, 6379);
    T_EQ_INT(u.db, 0);
    T_CHECK(!u.user && !u.password);
    cache_redis_url_cleanup(&u);

    T_EQ_INT(cache_parse_redis_url("redis://:p%40ss%2Fword@10.0.0.1:6380/3", &u, err, sizeof err),
             0);
    T_EQ_STR(u.host, "10.0.0.1");
    T_EQ_INT(u.port, 6380);
    T_EQ_INT(u.db, 3);
    T_EQ_STR(u.password, "p@ss/word");
    T_CHECK(!u.user);
    cache_redis_url_cleanup(&u);

    T_EQ_INT(cache_parse_redis_url("redis://app:s3cret@cache.internal:7000/0", &u, err, sizeof err),
             0);
    T_EQ_STR(u.user, "app");
    T_EQ_STR(u.password, "s3cret");
    T_EQ_INT(u.port, 7000);
    cache_redis_url_cleanup(&u);

    T_EQ_INT(cache_parse_redis_url("redis://:secret@host:99999", &u, err, sizeof err), -1);
    T_CONTAINS(err, "port");
    T_CHECK(!strstr(err, "secret"));
    T_EQ_INT(cache_parse_redis_url("redis://host/abc", &u, err, sizeof err), -1);
    T_EQ_INT(cache_parse_redis_url("http://host", &u, err, sizeof err), -1);
    T_EQ_INT(cache_parse_redis_url("redis://", &u, err, sizeof err), -1);
}

static void test_keys(void)
{
    char k[128];
    T_EQ_INT(cache_key(k, sizeof k, "vin", "1HGCM82633A004352"), 0);
    T_EQ_STR(k, "vinbot:v1:vin:1HGCM82633A004352");
    T_EQ_INT(cache_key(k, sizeof k, "recalls", "honda:accord:2003"), 0);
    T_EQ_STR(k, "vinbot:v1:recalls:honda:accord:2003");
    /* a key that does not fit is refused, not cut (two long ids would share a cut key) */
    char small[48];
    T_EQ_INT(cache_key(small, sizeof small, "recalls", "mercedes-benz:sprinter 2500 cargo:2020"),
             -1);
    T_EQ_INT(cache_key(k, sizeof k, "vin", "bad\nkey"), -1);
}

int main(void)
{
    T_RUN(test_redis_urls);
    T_RUN(test_keys);
    return t_done();
}
