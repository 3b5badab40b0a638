/* A host program that embeds the compiled fraud model through its typed API.
 *   nerva compile samples/fraud/fraud.pmml -o fraud.c      (writes fraud.c and fraud.h)
 *   cc -std=c99 -O2 embed.c fraud.c -lm -o embed && ./embed
 * The struct members are f0, f1, ... in the order of the model's fields; the
 * comments in fraud.h name them. */
#include <stdio.h>
#include "fraud.h"

int main(void)
{
    fraud_input in = {0};                /* every state byte NERVA_PRESENT */
    fraud_output out;
    in.f0 = 2450.00;                     /* amount */
    in.f1 = "crypto_exchange";           /* merchant_category */
    in.f2 = 3;                           /* hour */
    in.f3 = 1;                           /* country_mismatch */
    in.state[4] = NERVA_MISSING;         /* card_age_days: not known */
    if (fraud_score(&in, &out) != NERVA_OK)
        return 1;
    printf("is_fraud=%s fraud_probability=%.6f decision=%s\n", out.f0, out.f1, out.f2);
    return 0;
}
