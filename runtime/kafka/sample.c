/* sample.c: made-up card transactions for `nerva demo` and `nerva bench
 * --kafka`, as JSON records that samples/fraud/fraud.pmml scores: the same
 * fields and shapes as samples/fraud/make_transactions.py writes (a few
 * missing values, a few out-of-range ones), plus txn_id and ts_us (when the
 * record was made, for latency).  Deterministic for a given seed.  With
 * `bad`, every 1000th record is malformed (cut short, or a word where a
 * number belongs) so that the dead-letter path is exercised too. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

int hx_sample_record(uint64_t *rng, long i, int bad, double ts_us, char *buf, size_t size)
{
    static const char *merchants[] = {"grocery", "fuel", "restaurant", "travel", "online_retail",
                                      "electronics", "gambling", "crypto_exchange"};
    static const int weights[] = {30, 15, 20, 8, 14, 7, 3, 3};
    double u1 = uniform(rng), u2 = uniform(rng);
    if (u1 < 1e-12)
        u1 = 1e-12;
    double amount = exp(log(40) + 1.1 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
    double x = uniform(rng) * 100;
    int m = 0;
    while (m < 7 && (x -= weights[m]) >= 0)
        m++;
    int hour = (int)(uniform(rng) * 24);
    int mismatch = uniform(rng) < 0.12;
    double age = pow(uniform(rng), 2) * 1500;
    char age_text[32] = "null", merchant_text[40];
    if (uniform(rng) >= 0.05)
        snprintf(age_text, sizeof age_text, "%.1f", age);
    snprintf(merchant_text, sizeof merchant_text, "\"%s\"", merchants[m]);
    if (uniform(rng) < 0.05)
        strcpy(merchant_text, "null");
    if (bad && i % 1000 == 999)
        return snprintf(buf, size, "{\"txn_id\":\"T%ld\",\"amount\":%.2f,\"merchant_cat", i, amount);
    if (bad && i % 1000 == 499)
        return snprintf(buf, size, "{\"txn_id\":\"T%ld\",\"amount\":\"a lot\",\"hour\":%d}", i, hour);
    return snprintf(buf, size,
                    "{\"txn_id\":\"T%ld\",\"amount\":%.2f,\"merchant_category\":%s,\"hour\":%d,"
                    "\"country_mismatch\":%d,\"card_age_days\":%s,\"channel\":\"%s\",\"ts_us\":%.0f}",
                    i, amount, merchant_text, hour, mismatch, age_text,
                    (const char *[]){"pos", "ecom", "atm"}[i % 3], ts_us);
}
